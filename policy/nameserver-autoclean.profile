# nameserver-autoclean.profile - the Pyro nameserver when ns_autoclean_s
# is not 0.  Like nameserver.profile, but it keeps the host's network
# namespace: autoclean probes registered endpoints with plain TCP
# connects.  Only addresses inside ns_autoclean_nets are ever probed; that
# check is in C (services/nameserver/ns_clean.c), since seccomp cannot see
# a sockaddr.
user        mupif-ns
chroot      nameserver       # persistent/nameserver: nameserver.sqlite and its journal
namespaces  ipc uts          # the host's network namespace, for the probes
caps        none
listen      nameserver       # ns_port (10000)
rlimit      nofile 4300      # max_connections 4096 + 64 probes + the file, journal, epoll, a few
rlimit      nproc 0          # single-threaded: no fork, no threads
rlimit      core 0           # no core dumps with registrations in them
rlimit      fsize 1073741824 # nameserver.sqlite: 10000 entries are far below 1 GiB
seccomp     nameserver-autoclean.seccomp
