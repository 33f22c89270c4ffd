# gdb commands for Keel under QEMU's gdb stub (make gdb, tools/keel-gdb;
# docs/debugging.md). Read after build/keel.elf is loaded and gdb is
# connected to QEMU, which waits at the reset vector.

# QEMU's target description says x86-64 from the first instruction on;
# real-mode and 32-bit code is still disassembled as 64-bit code.
set architecture i386:x86-64

# Hardware breakpoints: under TCG `break` would do as well (QEMU keeps
# either kind itself, by address), but under KVM a software breakpoint is
# an INT3 written into memory, which Keel's addresses are not yet mapped
# to at the reset vector.
#
# The first VM entry, on either vendor (temporary): SVM's VMRUN stub, or
# VMX's stub (VMLAUNCH the first time).
thbreak svm_vmrun
thbreak vmx_vmenter
# Every exit, in the common dispatcher: e is the decoded exit (struct
# vmexit), v the vCPU.
hbreak exit_dispatch

define keel-exit
  if $argc != 0
    echo usage: keel-exit (in exit_dispatch)\n
  else
    output e->kind
    printf " code=0x%llx info1=0x%llx info2=0x%llx\n", e->reason, e->info1, e->info2
  end
end
document keel-exit
The exit exit_dispatch is handling: its kind (VMEXIT_CPUID, ...), the
vendor's exit code (VMCB EXITCODE or VMX basic exit reason) and its
exit information. `p *e` shows the whole decoded exit.
end
