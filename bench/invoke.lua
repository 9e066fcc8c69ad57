-- POST /api/v1/native-tools/stripe.get_customer/invoke for bench/run.sh: a fixed input; the key comes from
-- BENCH_TOKEN (wrk-report.lua, which also prints the result line).
dofile(os.getenv("BENCH_DIR") .. "/wrk-report.lua")
wrk.method = "POST"
wrk.body = '{"input":{"customer_id":"cus_bench"}}'
wrk.headers["Content-Type"] = "application/json"
