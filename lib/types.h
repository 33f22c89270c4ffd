/* Basic types shared by stage 2 (-m16), the hypervisor (64-bit) and the
 * host unit tests. Only freestanding headers are used. */
#ifndef KEEL_TYPES_H
#define KEEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* A guest-physical and a host-physical address never share a type. */
typedef u64 hpa_t;
typedef u64 gpa_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

/* A pointer to a fixed linear address (the BDA, VGA memory, a buffer
 * stage 2 placed). The empty asm hides the constant from the compiler,
 * which would otherwise treat it as an out-of-bounds object access. */
static inline void *flat_ptr(uintptr_t addr)
{
	__asm__("" : "+r"(addr));
	return (void *)addr;
}

#endif
