-- common.lua - helpers for relaymilter's miltertest scripts
-- Each script is run as: miltertest -D SOCKET=unix:/path -D DIR=... -s t-x.lua
-- An uncaught Lua error would make miltertest exit 1 silently: run() wraps
-- the test in xpcall and prints the reason.

function check(cond, what)
	if not cond then error(what, 2) end
end

-- connect and send connection info; returns the connection
function open(client_ip)
	local conn = mt.connect(SOCKET, 40, 0.25)
	check(conn ~= nil, "cannot connect to " .. SOCKET)
	mt.macro(conn, SMFIC_CONNECT, "j", "host.example.lan")
	check(mt.conninfo(conn, "client.test", client_ip) == nil, "conninfo")
	return conn
end

-- one message; rcpts is a list of {addr, mailer, host}
function message(conn, qid, sender, rcpts, headers)
	mt.macro(conn, SMFIC_MAIL, "i", qid)
	check(mt.mailfrom(conn, sender) == nil, "mailfrom")
	check(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL reply")
	for _, r in ipairs(rcpts) do
		mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", r[2], "{rcpt_host}", r[3])
		check(mt.rcptto(conn, r[1]) == nil, "rcptto")
		check(mt.getreply(conn) == SMFIR_CONTINUE, "RCPT reply")
	end
	for _, h in ipairs(headers or {}) do
		check(mt.header(conn, h[1], h[2]) == nil, "header")
	end
	if not mt.test_option(conn, SMFIP_NOEOH) then
		check(mt.eoh(conn) == nil, "eoh")
	end
end

function finish(conn)
	check(mt.eom(conn) == nil, "eom")
	return mt.getreply(conn)
end

function run(f)
	local ok, err = xpcall(f, debug.traceback)
	if not ok then
		print("FAILED: " .. tostring(err))
		os.exit(1)
	end
end

GMAIL = { "<friend@remote.test>", "relay", "[smtp.gmail.com]" }
LOCAL = { "<root@host.example.lan>", "local", "" }
