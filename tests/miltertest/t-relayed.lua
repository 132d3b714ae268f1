-- A trusted client relaying via the smarthost: CHGFROM is negotiated, the
-- trace header is inserted at index 0 with the queue id, From: untouched.
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("127.0.0.1")
	check(mt.test_action(conn, SMFIF_CHGFROM), "CHGFROM not negotiated")
	check(mt.test_action(conn, SMFIF_ADDHDRS), "ADDHDRS not negotiated")
	message(conn, "MT0RELAY01", "<www-data@host.example.lan>", { GMAIL },
	    { { "From", "Web <www-data@host.example.lan>" } })
	check(finish(conn) == SMFIR_CONTINUE, "end of message reply")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "no trace header")
	local v = mt.getheader(conn, "X-Relay-Trace", 0)
	check(string.find(v, "^id=[a-z2-7]+; qid=MT0RELAY01;? ?") ~= nil,
	    "trace header value: " .. tostring(v))
	check(not mt.eom_check(conn, MT_HDRCHANGE, "From"),
	    "From: changed with RewriteHeaderFrom no")
	mt.disconnect(conn)
end)
