# Sourced by the project's scripts. libtorch picks its CPU kernels when it loads and the bits
# depend on them, so they are pinned (a transcript's profile records the value): an
# ATEN_CPU_CAPABILITY already set is kept; otherwise avx2 where the CPU has it, else the portable
# default.
if [ -z "${ATEN_CPU_CAPABILITY:-}" ]; then
  if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then ATEN_CPU_CAPABILITY=avx2; else ATEN_CPU_CAPABILITY=default; fi
fi
export ATEN_CPU_CAPABILITY
