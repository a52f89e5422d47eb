# nameserver-autoclean.profile - the Pyro nameserver when ns_autoclean_s
# is not 0 or ns_probe is on.  Like nameserver.profile, but it keeps the
# host's network namespace: autoclean probes registered endpoints with
# plain TCP connects, ns_probe (ns_jobmans.c) calls registered job
# managers over Pyro5.  Only addresses inside ns_autoclean_nets are ever
# connected to; that check is in C (ns_net_target in
# services/nameserver/ns_clean.c), since seccomp cannot see a sockaddr.
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
