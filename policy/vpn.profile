# vpn.profile - the WireGuard status collector (vpn.status for the safe
# API).  It reads one file, vpn_dump_file, which the launcher opened and
# passed as fd 0; it opens nothing itself.  No capabilities (no
# CAP_NET_ADMIN: it never asks the kernel about WireGuard), no network.
user        mupif-vpn
chroot      empty            # persistent/run/empty, root-owned, empty
namespaces  net ipc uts
caps        none
rlimit      nofile 16
rlimit      nproc 0          # single-threaded: no fork, no threads
rlimit      core 0           # a core would hold the dump's private key
rlimit      fsize 16777216   # opens no file; memfd writes (large answers) count against RLIMIT_FSIZE
seccomp     vpn.seccomp
