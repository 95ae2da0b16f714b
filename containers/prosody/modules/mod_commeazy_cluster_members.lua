-- CommEazy cluster: membership heartbeat in PostgreSQL, drain and undrain (DESIGN.md §3.2, §3.5).
-- Copyright (C) 2026 CommEazy. MIT/X11 licence.
--
-- Global module. Every `commeazy_cluster_heartbeat` this node upserts its row in
-- commeazy_cluster_members and reads every row back. A member is live while its state is 'live'
-- and its beat is younger than `commeazy_cluster_member_ttl`. A node that cannot beat for a TTL
-- fences itself: it sees no members at all, so it routes nothing and serves what reaches it.
--
-- The state the other cluster modules read lives in module:shared("/*/commeazy_cluster_members/state"):
--   me, my_host   this node's id and cluster host      live      sorted array of live member ids
--   hosts         member id -> cluster host (fresh rows, live or draining)
--   draining      boolean                               db        the util.sql engine (shared)
-- When the live set changes or a member dies it fires the global event
-- "commeazy/cluster/members-changed" { live, previous, changed, left, dead }:
--   left  member id -> "draining" | "dead" for every member that was live and is no longer;
--   dead  ids whose beat went stale while they still had session rows (see mod_commeazy_cluster_sessions).

module:set_global();

local sql = require "prosody.util.sql";
local array = require "prosody.util.array";
local time = require "prosody.util.time";

local node_id = module:get_option_string("commeazy_node_id");
local cluster_host = module:get_option_string("commeazy_cluster_host", node_id);
local heartbeat = module:get_option_period("commeazy_cluster_heartbeat", 1);
local member_ttl = module:get_option_period("commeazy_cluster_member_ttl", 4);
local sql_params = module:get_option("sql");

assert(node_id, "commeazy_node_id is required");
assert(type(sql_params) == "table" and sql_params.driver == "PostgreSQL",
	"the CommEazy cluster needs sql = { driver = \"PostgreSQL\"; ... }");

local state = module:shared("state");
state.me, state.my_host = node_id, cluster_host;
state.live = state.live or {};
state.hosts = state.hosts or {};
state.draining = state.draining or false;

local m_members = module:metric("gauge", "members", "", "Live members of the cluster as seen by this node"):with_labels();
local m_changes = module:metric("counter", "membership_changes", "", "Changes of the live member set"):with_labels();
local m_beat_failures = module:metric("counter", "heartbeat_failures", "", "Heartbeats that could not reach the database"):with_labels();
local m_draining = module:metric("gauge", "draining", "", "1 while this node is draining"):with_labels();

local engine = sql:create_engine(setmetatable({}, { __index = sql_params }));
state.db = engine;

local schema = {
	[[CREATE TABLE IF NOT EXISTS commeazy_cluster_members (
		node_id text PRIMARY KEY, cluster_host text NOT NULL,
		state text NOT NULL CHECK (state IN ('live','draining')), last_beat timestamptz NOT NULL)]];
	-- Who is online where (bind/unbind), so that survivors can clear a dead node's ghosts.
	[[CREATE TABLE IF NOT EXISTS commeazy_cluster_sessions (
		node_id text NOT NULL, bare_jid text NOT NULL, full_jid text PRIMARY KEY,
		since timestamptz NOT NULL DEFAULT now())]];
	[[CREATE INDEX IF NOT EXISTS commeazy_cluster_sessions_node ON commeazy_cluster_sessions (node_id)]];
};

-- At start this node holds no sessions: rows left by its previous life are handed over as the
-- sessions of a dead node ("<id>~restarted", which has no member row), so that their users'
-- contacts are told they went offline. Nodes starting together would deadlock on the DDL: an
-- advisory lock (held until commit) lets one create the tables at a time. Returns ok, reason.
local schema_lock = 0x436f6d6d; -- any constant shared by every node ("Comm")
local function create_schema()
	return engine:transaction(function ()
		assert(engine:execute("SELECT pg_advisory_xact_lock(?)", schema_lock));
		for _, stmt in ipairs(schema) do assert(engine:execute(stmt)); end
		assert(engine:execute("UPDATE commeazy_cluster_sessions SET node_id = ? WHERE node_id = ?",
			node_id .. "~restarted", node_id));
	end);
end

local function truthy(v) return v == true or v == 1 or v == "t" or v == "true"; end

-- Upserts our row and reads the membership. Returns rows or nil, reason.
local function exchange_beat()
	local ttl = ("%d seconds"):format(math.ceil(member_ttl));
	local ok, rows = engine:transaction(function ()
		assert(engine:execute([[INSERT INTO commeazy_cluster_members (node_id, cluster_host, state, last_beat)
			VALUES (?, ?, ?, now()) ON CONFLICT (node_id) DO UPDATE
			SET cluster_host = EXCLUDED.cluster_host, state = EXCLUDED.state, last_beat = now()]],
			node_id, cluster_host, state.draining and "draining" or "live"));
		local out = {};
		for row in engine:select([[SELECT m.node_id, m.cluster_host, m.state, (m.last_beat > now() - ?::interval),
			EXISTS (SELECT 1 FROM commeazy_cluster_sessions s WHERE s.node_id = m.node_id)
			FROM commeazy_cluster_members m]], ttl) do
			out[#out + 1] = { id = row[1], host = row[2], state = row[3], fresh = truthy(row[4]), has_sessions = truthy(row[5]) };
		end
		-- Session rows of nodes that have no member row (a restarted node's previous life).
		for row in engine:select([[SELECT DISTINCT node_id FROM commeazy_cluster_sessions s
			WHERE NOT EXISTS (SELECT 1 FROM commeazy_cluster_members m WHERE m.node_id = s.node_id)]]) do
			out[#out + 1] = { id = row[1], fresh = false, has_sessions = true };
		end
		return out;
	end);
	if not ok then return nil, tostring(rows); end
	return rows;
end

-- Applies a new view of the membership and fires the change event.
local function apply(live, hosts, dead)
	local previous = state.live;
	live:sort();
	local changed = #previous ~= #live;
	for i = 1, #live do if previous[i] ~= live[i] then changed = true; end end
	local left = {};
	local still = {};
	for _, id in ipairs(live) do still[id] = true; end
	for _, id in ipairs(previous) do
		if not still[id] then left[id] = hosts[id] and "draining" or "dead"; end
	end
	state.live, state.hosts = live, hosts;
	m_members:set(#live);
	if changed then
		m_changes:add(1);
		module:log("info", "Live cluster members: %s (was: %s)", live:concat(", "), table.concat(previous, ", "));
	end
	if changed or #dead > 0 then
		module:fire_event("commeazy/cluster/members-changed",
			{ live = live, previous = previous, changed = changed, left = left, dead = dead });
	end
end

local last_success = time.now();
local schema_ready = false;

-- One heartbeat (after the tables exist: a start that could not create them retries here).
-- Returns ok, reason.
local function beat()
	if not schema_ready then
		local ok, err = create_schema();
		if not ok then return false, "cannot create the cluster tables: " .. tostring(err); end
		schema_ready = true;
	end
	local rows, err = exchange_beat();
	if not rows then
		if time.now() - last_success > member_ttl and #state.live > 0 then
			module:log("warn", "No heartbeat for %ds: fencing this node (it routes nothing until the database answers)", member_ttl);
			apply(array(), {}, {});
		end
		return false, err;
	end
	last_success = time.now();
	local live, hosts, dead = array(), {}, {};
	for _, r in ipairs(rows) do
		if r.fresh then
			hosts[r.id] = r.host;
			if r.state == "live" then live:push(r.id); end
		elseif r.has_sessions and r.id ~= node_id then
			dead[#dead + 1] = r.id;
		end
	end
	apply(live, hosts, dead);
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

-- Drain (leave the live membership on purpose) or undrain. Returns ok, message.
local function set_draining(draining)
	if state.draining == draining then
		return true, ("node %s is already %s"):format(node_id, draining and "draining" or "live");
	end
	state.draining = draining;
	m_draining:set(draining and 1 or 0);
	module:log("info", "Node %s is now %s", node_id, draining and "draining" or "live");
	local ok, reason = beat();
	if not ok then return false, "the state is set but the database did not answer: " .. reason; end
	return true, ("node %s is %s; live members: %s"):format(node_id, draining and "draining" or "live",
		table.concat(state.live, ", "));
end

local function describe()
	return ("node %s is %s; live members: %s"):format(node_id, state.draining and "draining" or "live",
		table.concat(state.live, ", "));
end

-- For mod_commeazy_cluster_admin (HTTP) and the shell commands below.
state.set_draining, state.describe = set_draining, describe;

function module.load()
	state.timer = module:add_timer(0, on_beat);
end

function module.unload()
	if state.timer then state.timer:stop(); state.timer = nil; end
end

local function shell_command(name, desc, fn)
	module:add_item("shell-command", {
		section = "commeazy"; section_desc = "CommEazy cluster";
		name = name; desc = desc; args = {};
		handler = function(self) return fn(); end; --luacheck: ignore 212/self
	});
end
shell_command("drain", "Leave the live membership on purpose (clients move to their new homes)",
	function () return set_draining(true); end);
shell_command("undrain", "Rejoin the live membership", function () return set_draining(false); end);
shell_command("members", "Show this node's state and the live members", function () return true, describe(); end);
