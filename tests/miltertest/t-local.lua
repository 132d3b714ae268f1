-- A local-only recipient: nothing leaves via the relay, nothing is added.
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("127.0.0.1")
	message(conn, "MT0LOCAL01", "<www-data@host.example.lan>", { LOCAL },
	    { { "From", "www-data@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "end of message reply")
	check(not mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "trace header on local mail")
	check(not mt.eom_check(conn, MT_HDRADD, "X-Relay-Trace"),
	    "trace header on local mail")
	mt.disconnect(conn)
end)
