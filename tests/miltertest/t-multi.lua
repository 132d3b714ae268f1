-- Several messages on one connection: each is decided on its own facts.
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("127.0.0.1")
	message(conn, "MT0MULTI01", "<a@host.example.lan>", { GMAIL },
	    { { "From", "a@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "first message")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"), "first traced")
	-- the second one is local-only: no recipient or header from the first
	-- may leak into it
	message(conn, "MT0MULTI02", "<b@host.example.lan>", { LOCAL },
	    { { "From", "b@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "second message")
	check(not mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "second (local) message traced: state leaked")
	message(conn, "MT0MULTI03", "<c@host.example.lan>", { GMAIL },
	    { { "From", "c@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "third message")
	local v = mt.getheader(conn, "X-Relay-Trace", 0)
	check(string.find(v, "qid=MT0MULTI03;") ~= nil, "third qid: " .. v)
	mt.disconnect(conn)
end)
