"""Multiboot (v1) kernels as Keel guests: an a.out-kludge kernel that
checks its command line and memory map, and an ELF kernel, on QEMU (AMD
SVM) and Bochs (Intel VMX); and a kernel that takes an exception before it
loads a GDT of its own (Keel's flat GDT), on QEMU and Bochs, both vendors."""
import subprocess

import pytest

from keel import ROOT, assert_line, make_image, run_bochs, run_qemu

GUESTS = ROOT / "tests" / "guests"
CMDLINE = "hello world"


def build_kernels(tmp_path):
    """MBINFO.ELF (a.out kludge, expects CMDLINE) and MBELF.ELF (ELF32)."""
    info, elf, obj = tmp_path / "MBINFO.ELF", tmp_path / "MBELF.ELF", tmp_path / "mbelf.o"
    subprocess.run(["nasm", "-f", "bin", f"-I{GUESTS}/", f'-DEXPECT_CMDLINE="{CMDLINE}"',
                    str(GUESTS / "multiboot_info.asm"), "-o", str(info)], check=True)
    subprocess.run(["nasm", "-f", "elf32", f"-I{GUESTS}/", str(GUESTS / "multiboot_elf.asm"),
                    "-o", str(obj)], check=True)
    # -Ttext-segment keeps every segment (the ELF headers too) at 1 MiB and up.
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext-segment=0x100000", "-e", "start",
                    str(obj), "-o", str(elf)], check=True)
    return {"MBINFO.ELF": info, "MBELF.ELF": elf}


CFG = f'''timeout 0
entry "Multiboot kernels"
  guest multiboot file=MBINFO.ELF cmdline="{CMDLINE}"
  guest multiboot file=MBELF.ELF
  guest multiboot file=HELLO.BIN
'''


def check(r):
    assert_line(r, 'keel: guest 1 "MBINFO.ELF" start kind=multiboot')
    assert_line(r, f"keel: [MBINFO.ELF] multiboot: cmdline={CMDLINE} mmap entries=")
    assert_line(r, 'keel: guest 1 "MBINFO.ELF" stop reason=exit-code code=0 ')
    assert_line(r, "keel: [MBELF.ELF] multiboot elf ok")
    assert_line(r, 'keel: guest 2 "MBELF.ELF" stop reason=exit-code code=0 ')
    # A flat binary has no Multiboot header: one message, then power off.
    assert_line(r, 'keel: guest 3 "HELLO.BIN": not a Multiboot kernel')
    assert_line(r, 'keel: guest 3 "HELLO.BIN" stop reason=load-error')
    assert_line(r, "keel: poweroff code=0")


def test_multiboot_qemu_svm(tmp_path):
    img = make_image(tmp_path, cfg_text=CFG, files=build_kernels(tmp_path))
    check(run_qemu(img, timeout=15))


@pytest.mark.bochs
def test_multiboot_bochs_vmx(tmp_path):
    img = make_image(tmp_path, cfg_text=CFG, files=build_kernels(tmp_path))
    check(run_bochs(img, cpu_model="corei7_skylake_x", timeout=90))


NO_GDT_CFG = '''timeout 0
entry "Multiboot kernel without a GDT"
  guest multiboot file=MBNOGDT.ELF
'''


def no_gdt_image(tmp_path):
    kernel = tmp_path / "MBNOGDT.ELF"
    subprocess.run(["nasm", "-f", "bin", f"-I{GUESTS}/", str(GUESTS / "multiboot_no_gdt.asm"),
                    "-o", str(kernel)], check=True)
    return make_image(tmp_path, cfg_text=NO_GDT_CFG, files={"MBNOGDT.ELF": kernel})


def check_no_gdt(r):
    assert_line(r, "keel: [MBNOGDT.ELF] multiboot no gdt: #UD caught, cs=0x08, "
                   "gdt limit 0x0017")
    assert_line(r, 'keel: guest 1 "MBNOGDT.ELF" stop reason=exit-code code=0 ')
    assert_line(r, "keel: poweroff code=0")


@pytest.mark.parametrize("emulator", [
    pytest.param("qemu", id="qemu-svm"),
    pytest.param("zambezi", id="bochs-svm", marks=pytest.mark.bochs),
    pytest.param("corei7_skylake_x", id="bochs-vmx", marks=pytest.mark.bochs),
])
def test_multiboot_exception_before_own_gdt(tmp_path, emulator):
    """A Multiboot kernel that takes #UD (through an IDT it set up) before
    it loads a GDT of its own: Keel's flat GDT (0x08 code, 0x10 data)
    carries the delivery, where before the kernel triple-faulted."""
    img = no_gdt_image(tmp_path)
    if emulator == "qemu":
        check_no_gdt(run_qemu(img, timeout=15))
    else:
        check_no_gdt(run_bochs(img, cpu_model=emulator, timeout=90))
