-- wrk script: POST the file named by $BODY_FILE with the content type $BODY_TYPE to the URL given to wrk.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = os.getenv("BODY_TYPE") or "application/octet-stream"
