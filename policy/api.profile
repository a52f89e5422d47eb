# api.profile - the REST API (api_port, 8005) for VPN members.  Holds no
# secret (tokens are checked with auth's public key) and no data: its jail
# is an empty directory, its network namespace is empty (the listening
# socket was bound by the launcher and keeps working), it talks only to
# the broker.
user        mupif-api
chroot      empty            # persistent/run/empty, root-owned, empty
namespaces  net ipc uts
caps        none
listen      api              # api_port (8005)
rlimit      nofile 600       # connection limit 512 + epoll, memfds, a few
rlimit      nproc 80         # the libmicrohttpd pool (api_threads <= 64), made before the seal
rlimit      core 0           # no core dumps with tokens in them
# No file can be opened (empty jail, no open in api.seccomp), but uploads
# are staged in memfds, and memfd writes count against RLIMIT_FSIZE: allow
# the largest file_max_bytes the configuration accepts (16 GiB); the api
# itself stops an upload at file_max_bytes with 413.
rlimit      fsize 17179869184
seccomp     api.seccomp
