# db.profile - the only process that touches the database.
user        mupif-db
chroot      db               # persistent/db: mupif.sqlite and its WAL files
namespaces  net ipc uts      # empty network namespace (SQLite needs none)
caps        none
rlimit      nofile 64
rlimit      nproc 0          # may not fork or make threads
rlimit      core 0
rlimit      fsize unlimited  # the database grows
seccomp     db.seccomp
