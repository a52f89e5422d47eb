# vpn.profile - the WireGuard status collector (vpn.status for the safe
# API).  Its source is fd 0, prepared by the launcher as root: its end of
# a socketpair to the launcher's get-only relay, which alone holds the
# connection to wireguard-go's UAPI socket (vpn_uapi_socket;
# launcher/vpn_relay.c), or the opened vpn_dump_file; with vpn_peer_map, fd 1 is that file until the
# service has read it.  It opens and connects nothing itself.  No
# capabilities (no CAP_NET_ADMIN: the kernel-module netlink path is not
# implemented), no network namespace of its own beyond an empty one.
user        mupif-vpn
chroot      empty            # persistent/run/empty, root-owned, empty
namespaces  net ipc uts
caps        none
rlimit      nofile 16
rlimit      nproc 0          # single-threaded: no fork, no threads
rlimit      core 0           # a core would hold the hub's private key
rlimit      fsize 16777216   # opens no file; memfd writes (large answers) count against RLIMIT_FSIZE
seccomp     vpn.seccomp
