-- CommEazy cluster: membership heartbeat in PostgreSQL, drain/undrain (DESIGN.md §3.2, §3.5).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Global module. Every `commeazy_cluster_heartbeat` this node upserts its row in
-- commeazy_cluster_members and reads the table back. A member is live while state = 'live' and
-- its beat is younger than `commeazy_cluster_member_ttl`. The state other cluster modules read
-- lives in module:shared("/*/commeazy_cluster_members/state"):
--   live      array of live member ids (sorted)       hosts   member id -> cluster host (fresh rows, live or draining)
--   me        this node's id    my_host   its cluster host   draining  boolean
--   db        the util.sql engine (shared with mod_commeazy_cluster_sessions)
-- Fires "commeazy/cluster/members-changed" { live, previous, dead } (global) when the live set
-- changes; `dead` lists nodes whose beat went stale while they still had session rows.

module:set_global();

local sql = require "prosody.util.sql";
local array = require "prosody.util.array";

local node_id = module:get_option_string("commeazy_node_id");
local cluster_host = module:get_option_string("commeazy_cluster_host", node_id);
local heartbeat = module:get_option_period("commeazy_cluster_heartbeat", 2);
local member_ttl = module:get_option_period("commeazy_cluster_member_ttl", 6);
local sql_params = module:get_option("sql");

assert(node_id, "commeazy_node_id is required");
assert(type(sql_params) == "table" and sql_params.driver == "PostgreSQL", "commeazy cluster needs sql = { driver = \"PostgreSQL\" ... }");

local state = module:shared("state");
state.me, state.my_host = node_id, cluster_host;
state.live = state.live or {};
state.hosts = state.hosts or {};
state.draining = state.draining or false;

local m_members = module:metric("gauge", "members", "", "Live members of the cluster as seen by this node"):with_labels();
local m_changes = module:metric("counter", "membership_changes", "", "Changes of the live member set"):with_labels();
local m_beat_failures = module:metric("counter", "heartbeat_failures", "", "Heartbeats that could not reach the database"):with_labels();

local engine = sql:create_engine(setmetatable({}, { __index = sql_params }));
state.db = engine;

local schema = {
	[[CREATE TABLE IF NOT EXISTS commeazy_cluster_members (
		node_id text PRIMARY KEY, cluster_host text NOT NULL,
		state text NOT NULL CHECK (state IN ('live','draining')), last_beat timestamptz NOT NULL)]];
	[[CREATE TABLE IF NOT EXISTS commeazy_cluster_sessions (
		node_id text NOT NULL, bare_jid text NOT NULL, full_jid text PRIMARY KEY,
		since timestamptz NOT NULL DEFAULT now())]];
	[[CREATE INDEX IF NOT EXISTS commeazy_cluster_sessions_node ON commeazy_cluster_sessions (node_id)]];
};

-- Returns ok, reason.
local function create_schema()
	return engine:transaction(function ()
		for _, stmt in ipairs(schema) do assert(engine:execute(stmt)); end
		-- Our own presence records are stale at start: we hold no sessions yet.
		assert(engine:execute("DELETE FROM commeazy_cluster_sessions WHERE node_id = ?", node_id));
	end);
end

-- One beat: upsert our row, read the members. Returns ok, reason.
local function beat()
	local my_state = state.draining and "draining" or "live";
	local ttl = ("%d seconds"):format(math.ceil(member_ttl));
	local ok, rows = engine:transaction(function ()
		assert(engine:execute([[INSERT INTO commeazy_cluster_members (node_id, cluster_host, state, last_beat)
			VALUES (?, ?, ?, now()) ON CONFLICT (node_id) DO UPDATE
			SET cluster_host = EXCLUDED.cluster_host, state = EXCLUDED.state, last_beat = now()]],
			node_id, cluster_host, my_state));
		local out = {};
		for row in engine:select([[SELECT node_id, cluster_host, state,
			(last_beat > now() - ?::interval) AS fresh,
			EXISTS (SELECT 1 FROM commeazy_cluster_sessions s WHERE s.node_id = m.node_id) AS has_sessions
			FROM commeazy_cluster_members m]], ttl) do
			out[#out + 1] = { id = row[1], host = row[2], state = row[3], fresh = row[4], has_sessions = row[5] };
		end
		-- Nodes that died with session rows but no member row (row deleted by an operator).
		for row in engine:select([[SELECT DISTINCT node_id FROM commeazy_cluster_sessions s
			WHERE NOT EXISTS (SELECT 1 FROM commeazy_cluster_members m WHERE m.node_id = s.node_id)]]) do
			out[#out + 1] = { id = row[1], fresh = false, has_sessions = true };
		end
		return out;
	end);
	if not ok then return false, tostring(rows); end

	local live, hosts, dead = array(), {}, {};
	for _, r in ipairs(rows) do
		local fresh = r.fresh == true or r.fresh == 1 or r.fresh == "t";
		local has_sessions = r.has_sessions == true or r.has_sessions == 1 or r.has_sessions == "t";
		if fresh then
			hosts[r.id] = r.host;
			if r.state == "live" then live:push(r.id); end
		elseif has_sessions and r.id ~= node_id then
			dead[#dead + 1] = r.id;
		end
	end
	live:sort();
	state.hosts = hosts;
	local previous = state.live;
	local changed = #previous ~= #live;
	for i = 1, #live do if previous[i] ~= live[i] then changed = true; end end
	state.live = live;
	m_members:set(#live);
	if changed or #dead > 0 then
		if changed then
			m_changes:add(1);
			module:log("info", "Live cluster members: %s (was: %s)", live:concat(", "), table.concat(previous, ", "));
		end
		module:fire_event("commeazy/cluster/members-changed", { live = live, previous = previous, dead = dead, changed = changed });
	end
	return true, "ok";
end

local function on_beat()
	local ok, reason = beat();
	if not ok then
		m_beat_failures:add(1);
		module:log("warn", "Cluster heartbeat failed: %s", reason);
	end
	return heartbeat;
end

-- Returns ok, message (shell commands).
local function set_draining(draining)
	if state.draining == draining then return true, draining and "already draining" or "already live"; end
	state.draining = draining;
	module:log("info", "Node %s is now %s", node_id, draining and "draining" or "live");
	local ok, reason = beat();
	if not ok then return false, reason; end
	return true, ("node %s is %s; live members: %s"):format(node_id, draining and "draining" or "live",
		table.concat(state.live, ", "));
end

function module.load()
	local ok, err = create_schema();
	if not ok then module:log("error", "Cannot create cluster tables: %s", err); end
	state.timer = module:add_timer(0, on_beat);
end

function module.unload()
	if state.timer then state.timer:stop(); state.timer = nil; end
end

module:add_item("shell-command", {
	section = "commeazy"; section_desc = "CommEazy cluster";
	name = "drain"; desc = "Leave the live membership on purpose (clients move to their new homes)";
	args = {};
	handler = function(self) return set_draining(true); end; --luacheck: ignore 212/self
});
module:add_item("shell-command", {
	section = "commeazy"; section_desc = "CommEazy cluster";
	name = "undrain"; desc = "Rejoin the live membership";
	args = {};
	handler = function(self) return set_draining(false); end; --luacheck: ignore 212/self
});
module:add_item("shell-command", {
	section = "commeazy"; section_desc = "CommEazy cluster";
	name = "members"; desc = "Show the live members and this node's state";
	args = {};
	handler = function(self) --luacheck: ignore 212/self
		return true, ("me=%s (%s) live=[%s]"):format(node_id, state.draining and "draining" or "live",
			table.concat(state.live, ","));
	end;
});
