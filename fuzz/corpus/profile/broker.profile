# broker.profile - the message broker.  Reads and writes only its
# socketpairs and the audit log; no network at all.
user        mupif-broker
chroot      audit            # persistent/audit: the audit log lives here
namespaces  net ipc uts      # empty network namespace: no sockets reach out
caps        none
rlimit      nofile 64        # one channel per service, the log, a few spare
rlimit      nproc 0          # may not fork or make threads
rlimit      core 0           # no core dumps with request data in them
rlimit      fsize unlimited  # the audit log grows
seccomp     broker.seccomp
