// LD_PRELOAD shim for the llama-bench peer: refuses the AMX tile-data permission request
// (arch_prctl ARCH_REQ_XCOMP_PERM), so that ggml's CPU backend does not use AMX. Needed on VMs
// whose CPUID advertises AMX but whose AMX instructions fault (llama-bench then dies with SIGILL
// in tinygemm_kernel_amx). Build: cc -O2 -shared -fPIC -o noamx.so noamx.c -ldl
// Use: node dist/bench/engine/run.js --llama-bench PATH --llama-bench-preload /abs/noamx.so
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
long syscall(long n, ...) {
  va_list ap; va_start(ap, n);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long), d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  if (n == SYS_arch_prctl && a == 0x1023) { errno = EPERM; return -1; }
  static long (*real)(long, ...) = 0;
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return real(n, a, b, c, d, e, f);
}
