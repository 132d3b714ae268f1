-- An abort in the middle of a message, then a new message on the same
-- connection: the aborted state is gone, the new one is decided normally.
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("127.0.0.1")
	message(conn, "MT0ABORT01", "<a@host.example.lan>", { GMAIL },
	    { { "From", "a@host.example.lan" } })
	check(mt.abort(conn) == nil, "abort")
	message(conn, "MT0ABORT02", "<b@host.example.lan>", { LOCAL }, {})
	check(finish(conn) == SMFIR_CONTINUE, "message after abort")
	check(not mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "aborted recipients leaked into the next message")
	-- and an abort right after MAIL, then close
	message(conn, "MT0ABORT03", "<c@host.example.lan>", {}, {})
	check(mt.abort(conn) == nil, "abort after MAIL")
	mt.disconnect(conn)
end)
