-- The null sender (a bounce): traced, never rewritten.
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("127.0.0.1")
	message(conn, "MT0NULL001", "<>", { GMAIL },
	    { { "From", "MAILER-DAEMON@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "end of message reply")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "bounce not traced")
	mt.disconnect(conn)
end)
