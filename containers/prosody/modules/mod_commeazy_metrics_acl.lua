-- CommEazy: /metrics (mod_http_openmetrics) for a list of networks.
-- Copyright (C) 2025 CommEazy. MIT/X11 licence.
--
-- Prosody 13.0's mod_http_openmetrics admits one CIDR (`openmetrics_allow_cidr` is a string) plus
-- exact addresses. The cluster network is several ranges (the private ones, loopback), so this
-- module answers GET /metrics first: the registry's rendering for a permitted address, 403 for
-- any other. It fails closed: without it, mod_http_openmetrics (with `openmetrics_allow_ips = {}`
-- and no CIDR) refuses everyone.

module:set_global();

local statsman = require "prosody.core.statsmanager";
local ip = require "prosody.util.ip";
local http_server = require "prosody.net.http.server";

local allow_cidrs = module:get_option_array("commeazy_metrics_allow_cidr",
	{ "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7" });
local metrics_path = module:get_option("http_paths", {}).openmetrics or "/metrics";

module:depends("http_openmetrics");

local networks = {};
for _, cidr in ipairs(allow_cidrs) do
	local net, bits = ip.parse_cidr(cidr);
	if not net then
		error("commeazy_metrics_allow_cidr: not an address or network: " .. tostring(cidr));
	end
	table.insert(networks, { net = net, bits = bits });
end

local function is_permitted(request)
	local remote = request.ip and ip.new_ip(request.ip);
	if not remote then return false, "no-address"; end
	for _, n in ipairs(networks) do
		if ip.match(remote, n.net, n.bits) then return true, "allowed"; end
	end
	return false, "not-in-allow-list";
end

local function handle_metrics(event)
	local ok, reason = is_permitted(event.request);
	if not ok then
		module:log("debug", "/metrics refused for %s: %s", event.request.ip, reason);
		return 403;
	end
	local registry = statsman.get_metric_registry();
	if not registry then
		event.response.headers.content_type = "text/plain; charset=utf-8";
		event.response.status_code = 404;
		return "No statistics provider configured\n";
	end
	if statsman.collect then statsman.collect(); end -- statistics_interval = "manual"
	event.response.headers.content_type = "application/openmetrics-text; version=0.0.4";
	return registry:render();
end
-- Priority 10: runs before mod_http_openmetrics's own handler (0) on the same global route.
module:hook_object_event(http_server, "GET " .. metrics_path, handle_metrics, 10);
