# auth.profile - passwords, sessions and access tokens (services/auth).
# Holds the token signing key (persistent/auth/token.key, 0600) and sees
# passwords in clear, so it is alone in its process: no network (empty
# namespace, no listening socket), reached only through the broker.
user        mupif-auth
chroot      auth             # persistent/auth: token.key and nothing else
namespaces  net ipc uts
caps        none
rlimit      nofile 16        # stdio, the broker channel, the key file
rlimit      nproc 0          # single-threaded: no fork, no threads
rlimit      core 0           # no core dumps with the key or passwords in them
rlimit      fsize 64         # writes one file, the 64-byte key, once
# No "as"/"data" limit: Argon2id (interactive) takes 64 MiB per check,
# and the ASan test build reserves terabytes of shadow address space.
seccomp     auth.seccomp
