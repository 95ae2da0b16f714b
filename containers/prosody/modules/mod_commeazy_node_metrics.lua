-- CommEazy: node metrics for Prometheus (memory, CPU, stanza rates, sessions).
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Prosody 13's own metrics have no memory, CPU or stanza counts (DESIGN.md §4), which the
-- product's alerts need. This module adds them to Prosody's metric registry, so
-- mod_http_openmetrics (and mod_commeazy_metrics_acl) serve them at /metrics:
--   lua_memory_bytes         Lua heap in use (collectgarbage "count")
--   resident_memory_bytes    process RSS (/proc/self/status VmRSS)
--   cpu_seconds              process CPU time, user + system (counter)
--   open_fds / max_fds       file descriptors in use and the soft limit (fd exhaustion, §4)
--   stanzas{direction,kind,session}   stanzas in/out by kind (message, presence, iq, other)
--                                      and session type (c2s, s2s, component); a counter
--   c2s_sessions{state}      bound client sessions: active or hibernating (stream management)
--   certificate_expiry_timestamp_seconds{host}   notAfter of each VirtualHost's certificate
-- Gauges are read when the registry is collected (every scrape: statistics_interval = "manual").

module:set_global();

local filters = require "prosody.util.filters";
local lfs = require "lfs";
local ssl = require "ssl";

local cert_dir = module:get_option_string("commeazy_metrics_certificate_dir", "/etc/prosody/certs");

local m_lua_memory = module:metric("gauge", "lua_memory", "bytes", "Memory used by the Lua heap");
local m_rss = module:metric("gauge", "resident_memory", "bytes", "Resident set size of the Prosody process");
local m_cpu = module:metric("counter", "cpu", "seconds", "CPU time used by the Prosody process (user + system)");
local m_open_fds = module:metric("gauge", "open_fds", "", "Open file descriptors of the Prosody process");
local m_max_fds = module:metric("gauge", "max_fds", "", "Soft limit on open file descriptors");
local m_stanzas = module:metric("counter", "stanzas", "", "Stanzas received and sent, by kind and session type",
	{ "direction", "kind", "session" });
local m_sessions = module:metric("gauge", "c2s_sessions", "", "Bound client sessions, by state",
	{ "state" });

local m_cert_expiry = module:metric("gauge", "certificate_expiry_timestamp", "seconds",
	"When the certificate of a VirtualHost expires (Unix time)", { "host" });

local stanza_kinds = { message = "message", presence = "presence", iq = "iq" };
-- Session types (c2s_unauthed, c2s_unbound, c2s, s2sin, s2sout_unauthed, component, ...) by prefix.
local function session_kind_of(session_type)
	if not session_type then return "other"; end
	if session_type:match("^c2s") then return "c2s"; end
	if session_type:match("^s2s") then return "s2s"; end
	if session_type:match("^component") then return "component"; end
	return "other";
end

-- The counters for one direction and session type, one per stanza kind (created once, reused).
local counters = {};
local function counters_for(direction, session_kind)
	local key = direction .. "/" .. session_kind;
	local set = counters[key];
	if not set then
		set = {};
		for _, kind in ipairs({ "message", "presence", "iq", "other" }) do
			set[kind] = m_stanzas:with_labels(direction, kind, session_kind);
		end
		counters[key] = set;
	end
	return set;
end

local function kind_of(stanza)
	local xmlns = stanza.attr and stanza.attr.xmlns;
	if xmlns == nil or xmlns == "jabber:client" or xmlns == "jabber:server" or xmlns == "jabber:component:accept" then
		return stanza_kinds[stanza.name] or "other";
	end
	return "other"; -- stream management and other nonzas
end

-- One pair of filters per session; the session type is looked up per stanza because an
-- unauthenticated session changes type when it authenticates.
local function add_stanza_filters(session)
	local function count(direction)
		return function(stanza)
			if stanza and stanza.name then
				local session_kind = session_kind_of(session.type);
				counters_for(direction, session_kind)[kind_of(stanza)]:add(1);
			end
			return stanza;
		end
	end
	filters.add_filter(session, "stanzas/in", count("in"), -1000);
	filters.add_filter(session, "stanzas/out", count("out"), -1000);
end

-- Reads one "Name:   value kB" line of /proc/self/status.
local function proc_status_kb(field)
	local f = io.open("/proc/self/status", "r");
	if not f then return nil; end
	local text = f:read("*a");
	f:close();
	local kb = text:match(field .. ":%s*(%d+)%s*kB");
	return kb and tonumber(kb) * 1024;
end

local function soft_fd_limit()
	local f = io.open("/proc/self/limits", "r");
	if not f then return nil; end
	local text = f:read("*a");
	f:close();
	return tonumber(text:match("Max open files%s+(%d+)"));
end

local function open_fd_count()
	local ok, iter, dir = pcall(lfs.dir, "/proc/self/fd");
	if not ok then return nil; end
	local n = 0;
	for name in iter, dir do
		if name ~= "." and name ~= ".." then n = n + 1; end
	end
	return n - 1; -- the directory handle lfs.dir itself holds
end

-- "Dec  1 02:14:03 2036 GMT" (OpenSSL's notAfter text) -> Unix time, without the local time zone.
local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 };
local function asn1_time_to_unix(text)
	local mon, d, h, mi, sec, y = text:match("^(%a+)%s+(%d+)%s+(%d+):(%d+):(%d+)%s+(%d+)");
	local m = mon and months[mon];
	if not m then return nil; end
	y, m, d = tonumber(y), m, tonumber(d);
	-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
	if m <= 2 then y = y - 1; end
	local era = (y >= 0 and y or y - 399) // 400;
	local yoe = y - era * 400;
	local doy = (153 * (m > 2 and m - 3 or m + 9) + 2) // 5 + d - 1;
	local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy;
	local days = era * 146097 + doe - 719468;
	return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec);
end

local function certificate_expiry(host)
	local f = io.open(cert_dir .. "/" .. host .. ".crt", "r");
	if not f then return nil, "no certificate file"; end
	local pem = f:read("*a");
	f:close();
	local ok, cert = pcall(ssl.loadcertificate, pem);
	if not ok or not cert then return nil, "not a PEM certificate"; end
	return asn1_time_to_unix(cert:notafter());
end

local last_cpu = 0;
local function update_gauges()
	m_lua_memory:with_labels():set(collectgarbage("count") * 1024);
	local rss = proc_status_kb("VmRSS");
	if rss then m_rss:with_labels():set(rss); end
	-- os.clock() is the process's CPU time (all threads, user + system); the counter only moves up.
	local cpu = os.clock();
	if cpu > last_cpu then
		m_cpu:with_labels():add(cpu - last_cpu);
		last_cpu = cpu;
	end
	local fds, max = open_fd_count(), soft_fd_limit();
	if fds then m_open_fds:with_labels():set(fds); end
	if max then m_max_fds:with_labels():set(max); end

	local active, hibernating = 0, 0;
	for _, session in pairs(prosody.full_sessions) do
		if session.hibernating then hibernating = hibernating + 1; else active = active + 1; end
	end
	m_sessions:with_labels("active"):set(active);
	m_sessions:with_labels("hibernating"):set(hibernating);

	for host, host_session in pairs(prosody.hosts) do
		if host_session.type == "local" then
			local expiry, reason = certificate_expiry(host);
			if expiry then
				m_cert_expiry:with_labels(host):set(expiry);
			else
				module:log("debug", "No certificate expiry for %s: %s", host, reason);
			end
		end
	end
end

-- The first series of each family exist before any traffic, so dashboards and alerts see zeros.
for _, session_kind in ipairs({ "c2s", "s2s" }) do
	counters_for("in", session_kind);
	counters_for("out", session_kind);
end

module:hook("stats-update", update_gauges);

function module.load()
	filters.add_filter_hook(add_stanza_filters);
end

function module.unload()
	filters.remove_filter_hook(add_stanza_filters);
end
