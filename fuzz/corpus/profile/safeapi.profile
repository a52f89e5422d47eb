# safeapi.profile - the public status API, the only service the proxy
# reaches.  Holds nothing: its jail is an empty directory, its network
# namespace is empty (the listening socket was bound by the launcher and
# keeps working), it may only talk to the broker.
user        mupif-safeapi
chroot      empty            # persistent/run/empty, root-owned, empty
namespaces  net ipc uts
caps        none
listen      safeapi          # safeapi_port (8006)
rlimit      nofile 600       # connection limit 512 + a few
rlimit      nproc 4          # the HTTP thread
rlimit      core 0
rlimit      fsize 0          # never writes a file
seccomp     safeapi.seccomp
