# db-mongo.profile - the db service when db_backend = mongo.  Like
# db.profile, but it keeps the host's network namespace: it holds one TCP
# connection to MongoDB (made before its seccomp filter is installed).
user        mupif-db
chroot      db               # an empty directory for this backend
namespaces  ipc uts
caps        none
rlimit      nofile 64
rlimit      nproc 0          # libmongoc's single-threaded client: no threads
rlimit      core 0
rlimit      fsize unlimited  # no file to open (no openat in db-mongo.seccomp), but
                             # memfds count (file.get, answers over 64 KiB, import)
                             # and so does fd 1 of `db export > FILE`
seccomp     db-mongo.seccomp
