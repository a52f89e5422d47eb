# scheduler.profile - the scheduler.  Today (issue 4) it only inspects
# uploaded workflows: it unpacks each upload into a throw-away directory
# under persistent/scheduler and runs the Python inspector there in a
# child process (services/scheduler/README.md).  The scheduling loop is
# issue 6.
#
# It is not chrooted: the Python it runs needs its interpreter and
# standard library.  Instead Landlock confines it, and every child, to its
# own directory (read-write) and the system paths below (read and execute
# only): not the database, the audit log, the nameserver's file, the logs,
# the configuration or any other persistent data, which are also 0700
# directories of other users.  An operator who installs mupif for
# runner_python outside /usr (a virtualenv in /opt) adds its directory to
# the landlock line.  A kernel without Landlock stops the scheduler.
user        mupif-sched
chroot      scheduler        # persistent/scheduler: the throw-away directories
landlock    /usr /lib /lib64 /bin /etc/ld.so.cache  # Python, its libraries and the loader's cache, read-only
namespaces  net ipc uts      # empty network namespace: inspected code reaches nothing
caps        none
rlimit      nofile 64        # broker channel, pipes of 4 children, extraction
# RLIMIT_NPROC counts every process of user mupif-sched on the machine,
# not just this node's: itself and at most 4 inspection children (each
# sets 0 for itself), with room for other nodes on the same host (tests).
rlimit      nproc 64         # per user, host-wide: itself, its 4 children (each then sets 0), other nodes on this host
rlimit      core 0           # no core dumps of uploaded code
rlimit      fsize 4294967296 # extracted files, each at most inspect_max_bytes
seccomp     scheduler.seccomp
