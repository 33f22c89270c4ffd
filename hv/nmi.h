/* NMIs in Keel and Keel's own NMIs to other CPUs (hv/nmi.c). */
#ifndef KEEL_NMI_H
#define KEEL_NMI_H

#include "percpu.h"

/* An NMI that arrives at an instruction in [first, last] returns to
 * resume instead: for the stretch between a last look at the attention
 * word and the HLT or VM entry it guards. Before any AP runs. */
void nmi_window_add(const void *first, const void *last, const void *resume);

/* Gets pc's attention (its attention bits set first): an NMI, unless one
 * is already on its way or pc is this CPU. */
void cpu_kick(struct percpu *pc);

/* Was an NMI this CPU took Keel's kick? Counts the kick as taken. */
bool cpu_kick_taken(struct percpu *pc);

/* Has a CPU died with a FATAL line (the others stop at their next NMI)? */
bool nmi_dying(void);

#endif
