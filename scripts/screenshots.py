#!/usr/bin/env python3
"""Take the README screenshots from a running demo instance (make run) with headless Chromium.

    python3 scripts/screenshots.py --url http://localhost:8069 --db credit_control
    python3 scripts/screenshots.py --only delivery_block,credit_application,credit_review   # a few shots again
    python3 scripts/screenshots.py --only replies,reply_form   # the customer replies

The delivery-block shot needs the bridge module credit_control_stock installed in the database. The claim shot
(insolvency_claim) is the first page of the claim PDF, rendered by the server with wkhtmltopdf and turned into a
PNG with pdftoppm (apt-get install -y poppler-utils).
The users of the demo work in Dutch (admin, bram, eva, mulder), so the shots show the Dutch UI.

Each shot is: log in as a user, open an Odoo URL, optionally run a bit of JavaScript (a click),
wait, and save a PNG under docs/screenshots/. Uses the Chrome DevTools protocol through
websocket-client, which the test tours need anyway.
"""

import argparse
import base64
import http.cookiejar
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "screenshots")


def login(base, db, user, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = json.dumps({"params": {"db": db, "login": user, "password": password}}).encode()
    request = urllib.request.Request(
        f"{base}/web/session/authenticate", data=payload, headers={"Content-Type": "application/json"}
    )
    result = json.load(opener.open(request, timeout=30))
    if "error" in result:
        raise SystemExit(f"login {user} failed: {result['error']}")
    return next(c.value for c in jar if c.name == "session_id")


class Browser:
    def __init__(self, port=9333):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1440,900",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=1))
                page = next(t for t in targets if t["type"] == "page")
                break
            except Exception:
                time.sleep(0.2)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.msg_id = 0

    def call(self, method, **params):
        self.msg_id += 1
        self.ws.send(json.dumps({"id": self.msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.msg_id:
                return message.get("result", {})

    def shot(self, base, session, url, name, script=None, wait=6.0, height=900):
        self.call("Emulation.setDeviceMetricsOverride", width=1440, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Network.enable")
        self.call("Network.clearBrowserCookies")
        self.call("Network.setCookie", name="session_id", value=session, url=base)
        self.call("Page.navigate", url=base + url)
        time.sleep(wait)
        if script:
            self.call("Runtime.evaluate", expression=script)
            time.sleep(wait / 2)
        # a notification about the bus connection is noise on a picture
        self.call(
            "Runtime.evaluate", expression="document.querySelectorAll('.o_notification').forEach(n => n.remove())"
        )
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(OUT, f"{name}.png")
        with open(path, "wb") as png:
            png.write(base64.b64decode(data))
        print("wrote", path)

    def close(self):
        self.ws.close()
        self.proc.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def pdf_page(base, session, url, name, resolution=80):
    """Save the first page of a PDF report (rendered by the server with wkhtmltopdf) as a PNG, with pdftoppm
    (poppler-utils)."""
    request = urllib.request.Request(base + url, headers={"Cookie": f"session_id={session}"})
    data = urllib.request.urlopen(request, timeout=300).read()
    if not data.startswith(b"%PDF"):
        raise SystemExit(f"{url} did not return a PDF (is wkhtmltopdf installed on the server?)")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = os.path.join(tmp, "report.pdf")
        with open(pdf, "wb") as out:
            out.write(data)
        prefix = os.path.join(tmp, "page")
        subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", pdf, prefix], check=True)
        page = next(os.path.join(tmp, f) for f in sorted(os.listdir(tmp)) if f.endswith(".png"))
        shutil.move(page, os.path.join(OUT, f"{name}.png"))
    print("wrote", os.path.join(OUT, f"{name}.png"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="credit_control")
    parser.add_argument("--devtools-port", type=int, default=9333, help="Chromium's remote debugging port")
    parser.add_argument(
        "--only",
        type=lambda names: {name.strip() for name in names.split(",") if name.strip()},
        help="take only these shots (comma-separated names of the PNG files, e.g. delivery_block,credit_review)",
    )
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    base = args.url.rstrip("/")
    admin = login(base, args.db, "admin", "admin")
    bram = login(base, args.db, "bram", "bram")
    eva = login(base, args.db, "eva", "eva")
    mulder = login(base, args.db, "mulder", "mulder")
    ids = json.loads(
        subprocess.check_output(
            [
                "psql",
                "-d",
                args.db,
                "-tAc",
                "SELECT json_build_object("
                "'partner', (SELECT res_id FROM ir_model_data WHERE module='credit_control' "
                "AND name='partner_mulder_demo'),"
                "'order', (SELECT res_id FROM ir_model_data WHERE module='credit_control' "
                "AND name='sale_order_janssens_demo'),"
                "'snapshot', (SELECT id FROM credit_kpi_snapshot WHERE scope='company' AND sales > 0 "
                "ORDER BY date_to DESC LIMIT 1),"
                # a reminder proposed to Bram, to preview (none when every first level executes itself)
                "'action', (SELECT a.id FROM credit_action a JOIN res_users u ON u.id = a.user_id "
                "WHERE u.login = 'bram' AND a.state IN ('proposed', 'failed') AND a.channel IN ('email', 'letter') "
                "ORDER BY a.id LIMIT 1),"
                "'run', (SELECT id FROM credit_followup_run ORDER BY id DESC LIMIT 1),"
                # the bridge module's blocked delivery (none without credit_control_stock)
                "'picking', (SELECT res_id FROM ir_model_data WHERE module='credit_control_stock' "
                "AND name='picking_janssens_blocked_demo'),"
                "'application', (SELECT res_id FROM ir_model_data WHERE module='credit_control' "
                "AND name='credit_review_smit_demo'),"
                # a periodic review the demo's first run opened
                "'review', (SELECT id FROM credit_review WHERE kind = 'review' AND state = 'submitted' "
                "ORDER BY id LIMIT 1),"
                # a customer's reply to a reminder, still to handle (the demo's De Boer: a promise for Friday)
                "'reply', (SELECT id FROM credit_reply WHERE state = 'pending' AND suggestion_kind = 'promise' "
                "ORDER BY date DESC, id DESC LIMIT 1),"
                # the demo's faillissement, with its curator
                "'insolvency', (SELECT res_id FROM ir_model_data WHERE module='credit_control' "
                "AND name='credit_insolvency_van_wijk_demo'))",
            ],
            text=True,
        )
    )
    # the tab by its page name, whatever the user's language calls it
    click_tab = "document.querySelector('.o_notebook .nav-link[name=credit_control]')?.click()"
    browser = Browser(port=args.devtools_port)

    def shot(session, url, name, **options):
        if args.only is None or name in args.only:
            browser.shot(base, session, url, name, **options)

    try:
        # the first visit builds the asset bundles: give it time, keep no picture
        browser.call("Network.enable")
        browser.call("Network.setCookie", name="session_id", value=admin, url=base)
        browser.call("Page.navigate", url=base + "/odoo")
        time.sleep(25)
        shot(admin, "/odoo/action-credit_control.res_partner_credit_action", "customer_list")
        shot(
            admin,
            f"/odoo/action-credit_control.res_partner_credit_action/{ids['partner']}",
            "partner_credit_tab",
            script=click_tab + "; window.scrollTo(0, 0)",
            height=1250,
        )
        # the collector's own day: Today opens on his actions, groups expanded
        shot(bram, "/odoo/action-credit_control.credit_action_worklist_action", "worklist")
        if ids["action"]:
            shot(
                bram,
                f"/odoo/action-credit_control.credit_action_worklist_action/{ids['action']}",
                "action_preview",
                script="document.querySelector('.o_form_statusbar button[name=action_preview]').click()",
                height=1100,
            )
        if ids["run"]:
            shot(admin, f"/odoo/action-credit_control.credit_followup_run_action/{ids['run']}", "followup_run")
        shot(admin, "/odoo/action-credit_control.credit_dispute_analysis_action", "dispute_analysis")
        shot(eva, f"/odoo/action-sale.action_quotations/{ids['order']}", "sale_order_block")
        shot(
            admin,
            f"/odoo/action-sale.action_quotations/{ids['order']}",
            "override_wizard",
            script="document.querySelector('button[name=action_credit_override]').click()",
        )
        shot(admin, "/odoo/action-credit_control.credit_kpi_dashboard_action", "kpi_dashboard")
        shot(admin, f"/report/html/credit_control.report_credit_cfo/{ids['snapshot']}", "cfo_report", height=1400)
        shot(admin, "/odoo/action-credit_control.credit_cashin_forecast_action", "cashin_forecast")
        shot(admin, "/odoo/action-credit_control.credit_aging_report_action", "aging_report")
        shot(mulder, "/my/credit", "portal_credit", height=1100)
        # the front of the chain: the delivery block, a credit application and a periodic review
        if ids["picking"]:
            shot(admin, f"/odoo/action-stock.action_picking_tree_all/{ids['picking']}", "delivery_block", wait=12.0)
        if ids["application"]:
            shot(admin, f"/odoo/action-credit_control.credit_review_action/{ids['application']}", "credit_application")
        if ids["review"]:
            shot(admin, f"/odoo/action-credit_control.credit_review_action_due/{ids['review']}", "credit_review")
        # customers' replies to their reminders: the list, and one reply with its suggestion and open items
        shot(admin, "/odoo/action-credit_control.credit_reply_action", "replies")
        if ids["reply"]:
            shot(admin, f"/odoo/action-credit_control.credit_reply_action/{ids['reply']}", "reply_form", height=1100)
        # the end of the chain: an insolvency case and the first page of its claim to the curator (the PDF)
        if ids["insolvency"]:
            shot(
                admin,
                f"/odoo/action-credit_control.credit_insolvency_action/{ids['insolvency']}",
                "insolvency_case",
                wait=10.0,
                height=1100,
            )
            if args.only is None or "insolvency_claim" in args.only:
                pdf_page(
                    base,
                    admin,
                    f"/report/pdf/credit_control.report_credit_claim/{ids['insolvency']}",
                    "insolvency_claim",
                )
        # the month-end provision for doubtful debts: the preview of last month's end, before Post
        shot(admin, "/odoo/action-credit_control.credit_provision_action", "provision_preview", wait=10.0)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
