-- CommEazy cluster: who is online where, moving clients to their home, membership changes
-- (DESIGN.md §3.3–3.5). Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Loaded on the user VirtualHost.
--  * A client that binds a resource on a node that is not its home is moved there: RFC 7395
--    <close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='<public URL>?u=<u>'/>.
--  * Every bound session has a row in commeazy_cluster_sessions (written on bind, deleted on unbind).
--  * On a membership change: flush caches of users this node no longer owns (roster cache, PEP
--    service, blocklist), move their sessions (see-other-uri); for each node that died with
--    sessions, the survivor that is now home of each of its users announces `unavailable` for
--    that user's resources to the user's contacts and deletes the rows (exactly one survivor
--    acts per user). Nothing is dropped: stanzas in flight keep routing by the new membership.
-- Extension points: "commeazy/cluster/move" { session, uri } (return true to keep the session),
-- "commeazy/cluster/ghost" { full_jid } (fired before a dead node's session is announced gone).

local st = require "prosody.util.stanza";
local jid = require "prosody.util.jid";
local rostermanager = require "prosody.core.rostermanager";
local modulemanager = require "prosody.core.modulemanager";

local xmlns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

local public_ws_url = module:get_option_string("commeazy_cluster_public_websocket_url");
local move_delay = module:get_option_period("commeazy_cluster_move_delay", 0);

module:depends("commeazy_cluster");
local members = module:shared("/*/commeazy_cluster_members/state");
local api = module:shared("/" .. module.host .. "/commeazy_cluster/api");

local m_moves = module:metric("counter", "moves", "", "Client sessions moved to their home node", { "reason" });
local m_ownership = module:metric("counter", "ownership_changes", "", "Users whose home moved away from or to this node on a membership change", { "direction" });
local m_ghosts = module:metric("counter", "ghosts_cleared", "", "Resources of dead nodes announced unavailable"):with_labels();
local m_db_failures = module:metric("counter", "presence_record_failures", "", "Failed writes of the online-users record"):with_labels();

local function db_run(sql_text, ...)
	local db = members.db;
	if not db then return false, "no-db"; end
	local args = table.pack(...);
	local ok, err = db:transaction(function () assert(db:execute(sql_text, table.unpack(args, 1, args.n))); end);
	if not ok then m_db_failures:add(1); module:log("warn", "Cluster session record: %s", tostring(err)); end
	return ok, err;
end

-- Returns uri or nil, reason.
local function see_other_uri(bare)
	if not public_ws_url then return nil, "no-public-url"; end
	local sep = public_ws_url:find("?", 1, true) and "&" or "?";
	return public_ws_url .. sep .. "u=" .. api.user_key(bare), "ok";
end

-- Closes a session so that its client reconnects to its home. Returns ok, reason.
local function move_session(session, reason)
	if session.destroyed or not session.conn then return false, "gone"; end
	local bare = session.username .. "@" .. session.host;
	local uri = see_other_uri(bare);
	if module:fire_event("commeazy/cluster/move", { session = session, uri = uri }) then return false, "vetoed"; end
	m_moves:with_labels(reason):add(1);
	session.log("info", "Moving session to its home node (%s)", reason);
	if session.websocket_request and uri then
		session.send(st.stanza("close", { xmlns = xmlns_framing, ["see-other-uri"] = uri }));
		session.send = function () return false; end -- mod_websocket's own <close/> must not follow
		session:close();
	else
		session:close({ condition = "reset", text = "Reconnect: this node is not your home" });
	end
	return true, reason;
end

local function is_home(bare)
	local h = api.home_of(bare);
	return h == nil or h == members.me, h;
end

local function on_bind(event)
	local session = event.session;
	local bare = session.username .. "@" .. session.host;
	local home_here = is_home(bare);
	if not home_here then
		module:add_timer(move_delay, function () move_session(session, "not-home"); end);
		return;
	end
	db_run([[INSERT INTO commeazy_cluster_sessions (node_id, bare_jid, full_jid) VALUES (?, ?, ?)
		ON CONFLICT (full_jid) DO UPDATE SET node_id = EXCLUDED.node_id, since = now()]],
		members.me, bare, session.full_jid);
end
module:hook("resource-bind", on_bind);

local function on_unbind(event)
	local session = event.session;
	if not session.full_jid then return; end
	db_run("DELETE FROM commeazy_cluster_sessions WHERE full_jid = ? AND node_id = ?", session.full_jid, members.me);
end
module:hook("resource-unbind", on_unbind);

-- Finds a local variable captured by a module's function (the caches are module-private).
local function find_upvalue(fn, name)
	for i = 1, 60 do
		local n, v = debug.getupvalue(fn, i);
		if n == nil then return nil; end
		if n == name then return v; end
	end
end

-- Forgets cached state of a user this node no longer owns. Returns ok, reason.
local function flush_user(username)
	local host = prosody.hosts[module.host];
	if host.roster_cache then host.roster_cache:set(username .. "@" .. module.host, nil); end
	local pep = modulemanager.get_module(module.host, "pep");
	local services = pep and pep.get_pep_service and find_upvalue(pep.get_pep_service, "services");
	if services then
		if services.set then services:set(username, nil); else services[username] = nil; end
	end
	return true, "flushed";
end

local function flush_blocklists()
	if modulemanager.is_loaded(module.host, "blocklist") then
		modulemanager.reload(module.host, "blocklist"); -- its only state is a cache
	end
end

-- Announces `unavailable` for a resource of a dead node to the user's contacts.
local function announce_gone(bare, full_jid)
	module:fire_event("commeazy/cluster/ghost", { full_jid = full_jid });
	local username = jid.node(bare);
	local roster = rostermanager.load_roster(username, module.host);
	local n = 0;
	for contact, item in pairs(roster or {}) do
		if contact and (item.subscription == "from" or item.subscription == "both") then
			prosody.core_post_stanza(prosody.hosts[module.host],
				st.presence({ from = full_jid, to = contact, type = "unavailable" }));
			n = n + 1;
		end
	end
	m_ghosts:add(1);
	return n;
end

local function clear_dead(dead)
	local db = members.db;
	for _, node in ipairs(dead) do
		local rows = {};
		local ok = db:transaction(function ()
			for row in db:select("SELECT bare_jid, full_jid FROM commeazy_cluster_sessions WHERE node_id = ?", node) do
				rows[#rows + 1] = { row[1], row[2] };
			end
		end);
		if ok then
			local mine = 0;
			for _, r in ipairs(rows) do
				local bare, full = r[1], r[2];
				if jid.host(bare) == module.host and api.home_of(bare) == members.me then
					announce_gone(bare, full);
					db_run("DELETE FROM commeazy_cluster_sessions WHERE full_jid = ? AND node_id = ?", full, node);
					mine = mine + 1;
				end
			end
			if mine > 0 then
				module:log("info", "Node %s is gone: announced %d of its resources unavailable", node, mine);
			end
		end
	end
end

local function on_members_changed(event)
	if event.changed then
		local moved = 0;
		local flushed = {};
		for _, session in pairs(prosody.hosts[module.host].sessions or {}) do
			local home_here = is_home(session.username .. "@" .. module.host);
			if not home_here then
				for _, s in pairs(session.sessions or {}) do
					if move_session(s, "membership-change") then moved = moved + 1; end
				end
				flushed[session.username] = true;
			end
		end
		-- Cached state of offline users: roster cache of the host, PEP services, blocklists.
		local host = prosody.hosts[module.host];
		if host.roster_cache then host.roster_cache:clear(); end
		local pep = modulemanager.get_module(module.host, "pep");
		local services = pep and pep.get_pep_service and find_upvalue(pep.get_pep_service, "services");
		if services and services.clear then services:clear();
		else for u in pairs(flushed) do flush_user(u); end end
		flush_blocklists();
		m_ownership:with_labels("away"):add(moved);
		module:log("info", "Membership changed: moved %d sessions, flushed caches", moved);
	end
	if event.dead and #event.dead > 0 then clear_dead(event.dead); end
end
module:hook_global("commeazy/cluster/members-changed", on_members_changed);
