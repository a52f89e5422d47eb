# nameserver.profile - the Pyro5 nameserver (ns_port, 10000), reached by
# every VPN peer without authentication.  Holds its registrations
# (persistent/nameserver/nameserver.sqlite) and nothing else.  Its network
# namespace is empty: the listening socket was bound by the launcher and
# keeps working, but nothing can be connected out.  With autoclean on
# (ns_autoclean_s) the launcher uses nameserver-autoclean.profile instead.
user        mupif-ns
chroot      nameserver       # persistent/nameserver: nameserver.sqlite and its journal
namespaces  net ipc uts
caps        none
listen      nameserver       # ns_port (10000)
rlimit      nofile 4200      # max_connections 4096 + the file, journal, epoll, a few
rlimit      nproc 0          # single-threaded: no fork, no threads
rlimit      core 0           # no core dumps with registrations in them
rlimit      fsize 1073741824 # nameserver.sqlite: 10000 entries are far below 1 GiB
seccomp     nameserver.seccomp
