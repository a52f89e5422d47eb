-- bench/api_post.lua - wrk script for bench/api.sh: every request is a POST
-- with the body read from the file named by BENCH_BODY and the
-- Content-Type from BENCH_CTYPE (the Authorization header, when there is
-- one, comes from wrk's -H).  wrk itself counts the answers that were
-- not 2xx/3xx; bench/api.sh prints that count beside each figure.
local f = assert(io.open(assert(os.getenv("BENCH_BODY")), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = assert(os.getenv("BENCH_CTYPE"))
