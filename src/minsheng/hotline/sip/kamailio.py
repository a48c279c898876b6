"""Kamailio in front of the B2BUA nodes: its configuration and its tables, generated.

``minsheng hotline sip kamailio-config`` writes ``kamailio.cfg`` and ``dispatcher.list`` for the
cluster in the database and (``--kamailio-db``) fills Kamailio's own tables in its PostgreSQL
database: the schema from Debian's ``/usr/share/kamailio/postgres/*.sql`` (``version``,
``location`` for usrloc, ``subscriber`` for digest authentication, ``mtrees`` for the partition
map), the counsellors' digest credentials from the seats file, and the partition map.

The partition map lets Kamailio send each INVITE to the node of the caller's partition without
asking a node (see :mod:`minsheng.hotline.sip.cluster`), in the order of ``routing.locate``:

1. a dialled legacy number → the partition of its hotline (a ``switch`` in the script);
2. ``X-Origin-Area``: a GB/T 2260 code → tree ``region`` (2-digit province prefix), an area code
   → tree ``area``; else the area code dialled in front of 12356 (``075512356``) → ``area``;
3. the caller's number (P-Asserted-Identity, else From): a mobile → tree ``mobile`` (longest
   prefix of phonenumbers' Chinese geocoding ranges, 4–9 digits), a landline → ``area``;
4. nothing placed: the national partition, whose node routes the call again.

The trees are phonenumbers' geocoding data (the same the routing rules read), reduced: a prefix
whose nearest shorter prefix maps to the same partition adds nothing to a longest-prefix match
and is left out (130,000 mobile ranges become a few thousand rows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phonenumbers.geodata import GEOCODE_DATA

from minsheng.core.regions import RegionTable
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import Directory
from minsheng.hotline.sip.cluster import PARTITION_RULES_VERSION, ClusterInfo

KAMAILIO_SQL_DIR = Path("/usr/share/kamailio/postgres")
KAMAILIO_SCHEMAS = ("standard", "usrloc", "auth_db", "mtree")
MODULES_DIR = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


@dataclass(frozen=True)
class MapRow:
    tree: str  # area | mobile | region
    prefix: str
    partition: str


def _reduce(entries: dict[str, str], default: str) -> dict[str, str]:
    """The fewest prefixes giving every number the same longest-prefix answer as ``entries``
    (``default`` where no prefix matches): a subtree whose numbers all get one answer becomes
    one row, and a row that only repeats what its shorter prefix (or the default) says goes."""
    children: dict[str, set[str]] = {}
    for key in entries:
        for n in range(1, len(key) + 1):
            children.setdefault(key[: n - 1], set()).add(key[:n])
    uniform: dict[str, str | None] = {}

    def walk(prefix: str, inherited: str) -> str | None:
        here = entries.get(prefix, inherited)
        kids = children.get(prefix, set())
        values = {walk(k, here) for k in kids}
        if len(kids) < 10:
            values.add(here)  # digits with no row of their own answer like this prefix
        result = values.pop() if len(values) == 1 else None
        uniform[prefix] = result
        return result

    def emit(prefix: str, inherited: str, out: dict[str, str]) -> None:
        here = entries.get(prefix, inherited)
        value = uniform[prefix]
        if value is not None:
            if value != inherited:
                out[prefix] = value
            return
        if here != inherited:
            out[prefix] = here
        for kid in sorted(children.get(prefix, set())):
            emit(kid, here, out)

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 200))
    try:
        walk("", default)
        out: dict[str, str] = {}
        emit("", default, out)
    finally:
        sys.setrecursionlimit(limit)
    out.pop("", None)
    return out


def partition_map(cluster: ClusterInfo, table: RegionTable) -> list[MapRow]:
    """The rows of Kamailio's ``mtrees`` table: area codes, mobile ranges, province prefixes."""
    national = cluster.national.id
    area: dict[str, str] = {}
    mobile: dict[str, str] = {}
    for key, entry in GEOCODE_DATA.items():
        if not key.startswith("86") or len(key) < 4 or "zh" not in entry:
            continue
        found = routing._regions_from_description(table, str(entry["zh"]))
        partition = cluster.partition_of_province(found[0].code).id if found else national
        digits = key[2:]
        if digits[0] == "1" and digits[1] != "0":  # 13x-19x mobiles; 10 is Beijing's area code
            mobile[digits] = partition
        else:
            area["0" + digits] = partition
    region: dict[str, str] = {}
    for code, pid in cluster.by_province.items():
        region[code] = pid
    rows = [MapRow("region", p, v) for p, v in sorted(region.items())]
    rows += [MapRow("area", p, v) for p, v in sorted(_reduce(area, national).items())]
    rows += [MapRow("mobile", p, v) for p, v in sorted(_reduce(mobile, national).items())]
    return rows


def legacy_map(directory: Directory, cluster: ClusterInfo) -> dict[str, str]:
    """Legacy numbers (digits, no +86) → the partition of their hotline."""
    result: dict[str, str] = {}
    for h in directory.hotlines:
        for number in h.legacy_numbers:
            result[routing.legacy_key(number)] = cluster.partition_of_hotline(h).id
    return result


def map_version(rows: Iterable[MapRow], legacy: dict[str, str]) -> str:
    """A short digest of the map, written into every INVITE's X-Partition-Rule header."""
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.tree}\t{r.prefix}\t{r.partition}\n".encode())
    for number, pid in sorted(legacy.items()):
        h.update(f"legacy\t{number}\t{pid}\n".encode())
    return h.hexdigest()[:12]


def dispatcher_list(cluster: ClusterInfo) -> str:
    """``dispatcher.list``: one set per partition, the primary first (priority 10), the standby
    second (priority 5); algorithm 8 always takes the highest-priority active destination."""
    lines = [
        "# generated by minsheng hotline sip kamailio-config: setid destination flags prio attrs"
    ]
    for p in sorted(cluster.partitions, key=lambda p: p.set_id):
        primary = cluster.node(p.primary)
        lines.append(f"{p.set_id} sip:{primary.sip_host}:{primary.sip_port} 0 10 duid={primary.id}")
        if p.standby is not None:
            standby = cluster.node(p.standby)
            lines.append(
                f"{p.set_id} sip:{standby.sip_host}:{standby.sip_port} 0 5 duid={standby.id}"
            )
    return "\n".join(lines) + "\n"


# A node behind the front sends each unanswered caller's provisional answer again this often
# (b2bua.py); Kamailio takes a node that has sent nothing for ``alive_ms`` after a provisional
# answer for dead, and sends the call on to the partition's next node.
PROVISIONAL_EVERY_S = 0.4


@dataclass(frozen=True)
class KamailioOptions:
    listen_host: str
    listen_port: int
    db_url: str  # Kamailio's form: postgres://user:pass@host:port/db
    dispatcher_file: str
    ctl_socket: str  # unix socket for kamcmd (binrpc)
    children: int = 2
    realm: str = "12356"
    origin_header: str = "X-Origin-Area"
    probe_interval_s: int = 1
    branch_timeout_ms: int = 1000  # a new call: no answer at all from a node in this → next node
    slow_ms: int = 2000  # an OPTIONS probe or a dialog's request: a node this late is dead
    alive_ms: int = 1200  # a new call after a provisional answer: silence this long → next node


def kamailio_db_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://u:p@h:5432/db`` → ``postgres://u:p@h:5432/db`` (db_postgres)."""
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url)
    auth = ""
    if url.username:
        auth = url.username + (f":{url.password}" if url.password else "") + "@"
    port = f":{url.port}" if url.port else ""
    return f"postgres://{auth}{url.host or '127.0.0.1'}{port}/{url.database}"


def _cfg_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def render_cfg(
    cluster: ClusterInfo, legacy: dict[str, str], version: str, options: KamailioOptions
) -> str:
    """The whole ``kamailio.cfg`` (Kamailio 5.6, native script)."""
    sets = {p.id: p.set_id for p in cluster.partitions}
    national = cluster.national
    cases = "\n".join(
        f'        case "{number}":\n            $var(part) = "{pid}"; $var(rule) = "legacy_number";'
        "\n            break;"
        for number, pid in sorted(legacy.items())
    )
    set_cases = "\n".join(
        f'        case "{pid}":\n            $var(set) = {sid};\n            break;'
        for pid, sid in sorted(sets.items())
    )
    origin = options.origin_header
    return _CFG.format(
        listen=f"udp:{options.listen_host}:{options.listen_port}",
        children=options.children,
        mpath=MODULES_DIR,
        db_url=_cfg_string(options.db_url),
        dispatcher_file=_cfg_string(options.dispatcher_file),
        ctl=_cfg_string(options.ctl_socket),
        realm=options.realm,
        probe=options.probe_interval_s,
        branch_ms=options.branch_timeout_ms,
        slow_ms=options.slow_ms,
        alive_ms=options.alive_ms,
        legacy_cases=cases or '        case "":\n            break;',
        set_cases=set_cases,
        national=national.id,
        national_set=national.set_id,
        origin=origin,
        version=f"{PARTITION_RULES_VERSION};map={version}",
    )


# The script. Doubled braces are literal braces (str.format).
_CFG = """#!KAMAILIO
# Generated by `minsheng hotline sip kamailio-config` from the cluster in the database. Do not edit:
# change the partitions or nodes and generate again (docs/hotline-scale.md).
# Run: kamailio -f kamailio.cfg -DD -E -m 1024 -Y RUNDIR

debug=1
log_stderror=yes
log_facility=LOG_LOCAL0
fork=yes
children={children}
auto_aliases=no
listen={listen}
server_header="Server: minsheng-12356-front"
user_agent_header="User-Agent: minsheng-12356-front"
mpath="{mpath}"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "ctl.so"
loadmodule "db_postgres.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "dispatcher.so"
loadmodule "mtree.so"

modparam("ctl", "binrpc", "unix:{ctl}")

# A queued caller may wait many minutes for a counsellor (national backup: 300 s and more).
# fr_timer covers the OPTIONS probes and the requests of a dialog (BYE, re-INVITE): a node busy
# on a loaded machine may answer them late, and one a second late is slow, not dead (a dialog's
# request cannot go to another node anyway). A new call's branch timer is shorter (t_set_fr
# below): no answer at all within it and the call goes on to the partition's next node.
modparam("tm", "fr_timer", {slow_ms})
modparam("tm", "fr_inv_timer", 3600000)
modparam("tm", "restart_fr_on_each_reply", 1)
modparam("tm", "max_inv_lifetime", 3600000)
modparam("tm", "auto_inv_100", 1)

modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 1)

# Registrations in PostgreSQL only (db_mode 3): every B2BUA node reads the same `location` table,
# so a standby reaches the counsellors of a partition it takes over without re-registration.
modparam("usrloc", "db_url", "{db_url}")
modparam("usrloc", "db_mode", 3)
modparam("usrloc", "use_domain", 0)
modparam("usrloc", "timer_interval", 10)
modparam("registrar", "max_expires", 7200)
modparam("registrar", "min_expires", 30)

modparam("auth_db", "db_url", "{db_url}")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")

# One dispatcher set per partition: primary (priority 10), standby (priority 5). OPTIONS probing
# every second; one failed probe marks a node inactive, one answer brings it back. A node that
# drains answers OPTIONS with 503.
modparam("dispatcher", "list_file", "{dispatcher_file}")
modparam("dispatcher", "ds_ping_interval", {probe})
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_from", "sip:front@{realm}")
modparam("dispatcher", "flags", 2)

# The partition map (generated rows in table mtrees: trees region, area, mobile).
modparam("mtree", "db_url", "{db_url}")
modparam("mtree", "db_table", "mtrees")
modparam("mtree", "char_list", "0123456789")
modparam("mtree", "pv_value", "$var(mtval)")

request_route {{
    # $var() keeps its value between messages of one worker: reset every one used below.
    $var(part) = "";
    $var(rule) = "";
    $var(set) = 0;
    $var(o) = "";
    $var(n) = "";
    $var(mtval) = "";
    $var(h) = "";

    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (!sanity_check("17895", "7")) {{
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            t_relay();
            exit;
        }}
        if (is_method("ACK")) {{
            if (t_check_trans()) {{
                t_relay();
            }}
            exit;
        }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (is_method("ACK")) {{
        exit;
    }}
    if (is_method("REGISTER")) {{
        route(REGISTRAR);
        exit;
    }}
    if (is_method("OPTIONS") && $rU == $null) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    if (!is_method("INVITE")) {{
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }}
    if (t_check_trans()) {{
        exit;
    }}
    # Never trust a partition decision from outside the platform.
    remove_hf("X-Partition");
    remove_hf("X-Partition-Rule");
    remove_hf("X-Handover");
    route(PARTITION);
    route(SETOF);
    if (!ds_select_dst("$var(set)", "8")) {{
        xlog("L_ERR", "no node alive for partition $var(part)\\n");
        send_reply("503", "Service Unavailable");
        exit;
    }}
    record_route();
    # a node answers a new call within the branch timer (its 100) and then repeats its last
    # provisional answer until the call is answered (b2bua.py keep_alive): silence for this
    # INVITE timer means it died holding the call (each provisional restarts the timer)
    t_set_fr({alive_ms}, {branch_ms});
    append_hf("X-Partition: $var(part)\\r\\n");
    append_hf("X-Partition-Rule: $var(rule);version={version}\\r\\n");
    t_on_failure("FAILOVER");
    if (!t_relay()) {{
        sl_reply_error();
    }}
    exit;
}}

route[REGISTRAR] {{
    if (!auth_check("{realm}", "subscriber", "1")) {{
        auth_challenge("{realm}", "0");
        exit;
    }}
    consume_credentials();
    if (!save("location")) {{
        sl_reply_error();
    }}
}}

# The caller's partition, in the order of the routing rules (rules.locate).
route[PARTITION] {{
    switch ($rU) {{
{legacy_cases}
        default:
            break;
    }}
    if ($var(part) != "") {{
        return;
    }}
    if (is_present_hf("{origin}")) {{
        $var(o) = $(hdr({origin}){{s.trim}});
        if ($var(o) =~ "^[0-9]{{6}}$") {{
            if (mt_match("region", "$var(o)", "0")) {{
                $var(part) = $var(mtval);
                $var(rule) = "carrier_region";
                return;
            }}
        }} else if ($var(o) =~ "^0?[0-9]{{2,3}}$") {{
            if (!($var(o) =~ "^0")) {{
                $var(o) = "0" + $var(o);
            }}
            if (mt_match("area", "$var(o)", "0")) {{
                $var(part) = $var(mtval);
                $var(rule) = "carrier_area";
                return;
            }}
        }}
    }}
    if ($rU =~ "^0[0-9]{{2,3}}12356$") {{
        $var(o) = $(rU{{re.subst,/12356$//}});
        if (mt_match("area", "$var(o)", "0")) {{
            $var(part) = $var(mtval);
            $var(rule) = "dialled_area";
            return;
        }}
    }}
    $var(n) = $fU;
    if (is_present_hf("P-Asserted-Identity") && $ai != $null) {{
        $var(n) = $(ai{{uri.user}});
    }}
    $var(n) = $(var(n){{re.subst,/^(\\+86|0086|86)(1[0-9]{{10}})$/\\2/}});
    $var(n) = $(var(n){{re.subst,/^(\\+86|0086)([1-9][0-9]{{8,10}})$/0\\2/}});
    if ($var(n) =~ "^1[3-9][0-9]{{9}}$") {{
        if (mt_match("mobile", "$var(n)", "0")) {{
            $var(part) = $var(mtval);
            $var(rule) = "number_home";
            return;
        }}
    }} else if ($var(n) =~ "^0[1-9][0-9]{{8,10}}$") {{
        if (mt_match("area", "$var(n)", "0")) {{
            $var(part) = $var(mtval);
            $var(rule) = "number_home";
            return;
        }}
    }}
    $var(part) = "{national}";
    $var(rule) = "unplaced";
}}

route[SETOF] {{
    switch ($var(part)) {{
{set_cases}
        default:
            $var(set) = {national_set};
            break;
    }}
}}

# The node did not answer within the branch timer (dead), or answered 5xx (stopping): mark it
# inactive and try the partition's next node; a caller's CANCEL or a real answer is left alone.
failure_route[FAILOVER] {{
    if (t_is_canceled()) {{
        exit;
    }}
    # A node whose steps for the call are over hands it on (national backup, another province's
    # line): 302 with X-Handover naming the partition; the call goes on at that partition's node.
    if (t_check_status("302") && $T_rpl($hdr(X-Handover)) != $null) {{
        $var(h) = $T_rpl($hdr(X-Handover));
        $var(part) = $(var(h){{param.value,partition}});
        route(SETOF);
        if (ds_select_dst("$var(set)", "8")) {{
            append_hf("X-Handover: $var(h)\r\n");
            t_on_failure("FAILOVER");
            t_relay();
            exit;
        }}
        t_reply("480", "Temporarily Unavailable");
        exit;
    }}
    # A node that let a new call's branch time out is not marked inactive here: one late answer
    # on a loaded machine is not death (marks on 1 s timeouts took both nodes out under load,
    # and every caller was refused 503). The probes decide (a dead node misses the next one);
    # meanwhile each new call goes on to the next node after the branch timer.
    if (t_branch_timeout() || t_check_status("5[0-9][0-9]")) {{
        if (ds_next_dst()) {{
            t_on_failure("FAILOVER");
            t_relay();
            exit;
        }}
    }}
}}
"""


def prepare_database(
    url: str,
    rows: list[MapRow],
    credentials: dict[str, str],
    *,
    sql_dir: Path = KAMAILIO_SQL_DIR,
) -> dict[str, int]:
    """Create Kamailio's tables (once) and replace the partition map and the digest credentials.

    ``url`` is the SQLAlchemy URL of Kamailio's PostgreSQL database; ``credentials`` maps each
    counsellor's SIP user to the HA1 of realm 12356. Registrations (``location``) are left alone.
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            exists = conn.execute(text("SELECT to_regclass('version') IS NOT NULL")).scalar()
            if not exists:
                for name in KAMAILIO_SCHEMAS:
                    sql = (sql_dir / f"{name}-create.sql").read_text(encoding="utf-8")
                    conn.exec_driver_sql(sql)
            conn.execute(text("DELETE FROM mtrees"))
            if rows:
                conn.execute(
                    text("INSERT INTO mtrees (tname, tprefix, tvalue) VALUES (:t, :p, :v)"),
                    [{"t": r.tree, "p": r.prefix, "v": r.partition} for r in rows],
                )
            conn.execute(text("DELETE FROM subscriber"))
            if credentials:
                conn.execute(
                    text(
                        "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
                        "VALUES (:u, '', '', :h, '')"
                    ),
                    [{"u": u, "h": h} for u, h in sorted(credentials.items())],
                )
    finally:
        engine.dispose()
    return {"map_rows": len(rows), "subscribers": len(credentials)}


def registered_contacts(conn: Any) -> dict[str, str]:
    """SIP user → the newest registered contact URI in Kamailio's ``location`` table (usrloc in
    db_mode 3 deletes expired rows itself)."""
    from sqlalchemy import text

    rows = conn.execute(
        text("SELECT username, contact FROM location ORDER BY last_modified, id")
    ).all()
    return {str(u): str(c) for u, c in rows}
