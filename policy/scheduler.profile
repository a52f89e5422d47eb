# scheduler.profile - the scheduler: it claims Pending executions and runs
# each workflow in a sandbox of its own, and it inspects uploaded
# workflows (services/scheduler/README.md).  Both unpack files under
# persistent/scheduler and run Python there in child processes.
#
# It is not chrooted: the Python it runs needs its interpreter and
# standard library.  Instead Landlock confines it, and every child, to its
# own directory (read-write) and the system paths below (read and execute
# only): not the database, the audit log, the
# nameserver's file, the logs, the configuration or any other persistent
# data, which are also 0700 directories of other users.  An operator who
# installs mupif for runner_python outside /usr (a virtualenv in /opt)
# adds its directory to the landlock line.  A kernel without Landlock
# stops the scheduler.
#
# Network: it shares the host's network namespace, because workflow runs
# reach the REST API, the nameserver and job managers over TCP.  Its
# Landlock layer (landlock_net, made by the launcher) allows TCP connect
# only to api_port, ns_port and run_net_ports, and bind only to an
# ephemeral port (a run's Pyro daemon); its seccomp filter allows only TCP
# sockets.  The scheduler itself opens no socket.
user        mupif-sched
chroot      scheduler        # persistent/scheduler: work directories, logs, statistics
landlock    /usr /lib /lib64 /bin /etc/ld.so.cache  # Python, its libraries and the loader's cache, read-only
namespaces  ipc uts          # host network (see above), own IPC and host name
caps        none
rlimit      nofile 4096      # its own: broker, 3 per run, inspections; each run sets run_nofile (at most this)
# RLIMIT_NPROC counts every process of user mupif-sched on the machine,
# the runs' processes included (their user namespaces count towards it
# too); each run has its own smaller limit (run_nproc) and each
# inspection 0.
rlimit      nproc 8192       # per user, host-wide: every run's processes (run_nproc each), inspections, other nodes on this host
rlimit      core 0           # no core dumps of uploaded code
rlimit      fsize 4294967296 # extracted files and logs; each run sets its own run_fsize_mb below this
seccomp     scheduler.seccomp
