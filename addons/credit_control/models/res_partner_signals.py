import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date, formatLang

from ..tools import channel_ranking, payment_anomaly
from .credit_policy_level import CONTACT_CHANNELS
from .res_partner import CREDIT_RATING_FIELDS

_logger = logging.getLogger(__name__)

# Early warnings (rule: tools/payment_anomaly.is_late_anomaly): the days late of the items paid in the last
# ANOMALY_RECENT_DAYS days are compared with those paid in the ANOMALY_BASELINE_DAYS before them (15 months in all).
ANOMALY_RECENT_DAYS = 90
ANOMALY_BASELINE_DAYS = 365
# A customer warned about its payments is not warned again within this many days, nor while the warning is open.
WARNING_QUIET_DAYS = 90
# Best channel (tools/channel_ranking.best_channel): the reminders done in the last BEST_CHANNEL_HISTORY_DAYS days;
# one counts as paid when all the items it covered were paid within BEST_CHANNEL_WINDOW_DAYS days.
BEST_CHANNEL_HISTORY_DAYS = 365
BEST_CHANNEL_WINDOW_DAYS = 30
BEST_CHANNEL_CHANNELS = list(CONTACT_CHANNELS)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Early warnings: paying later than usual, a dropped credit rating
    # ------------------------------------------------------------------

    @api.model
    def _credit_detect_anomalies(self, company, today=None):
        """Warn about the customers of ``company`` who pay their recent invoices clearly later than before.

        One query fetches, per customer, the days late of the receivable items paid (last partial
        reconciliation) in the last ``ANOMALY_RECENT_DAYS`` days and in the ``ANOMALY_BASELINE_DAYS`` before;
        ``tools.payment_anomaly.is_late_anomaly`` decides. A customer warned in the last ``WARNING_QUIET_DAYS``
        days, or whose warning activity is still open, is not warned again. Returns the customers warned.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH paid AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           MAX(apr.max_date) AS paid_date,
                           GREATEST(MAX(apr.max_date) - aml.date_maturity, 0) AS days_late
                      FROM account_move_line aml
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND acc.account_type = 'asset_receivable'
                       AND aml.reconciled
                       AND aml.balance > 0
                       AND aml.date_maturity IS NOT NULL
                       AND apr.max_date > %(today)s::date - %(history)s
                  GROUP BY p.commercial_partner_id, aml.id
                    HAVING MAX(apr.max_date) <= %(today)s
                )
                SELECT partner_id,
                       ARRAY_AGG(days_late ORDER BY paid_date) FILTER (WHERE paid_date <= %(today)s::date - %(recent)s),
                       ARRAY_AGG(days_late ORDER BY paid_date) FILTER (WHERE paid_date > %(today)s::date - %(recent)s)
                  FROM paid
              GROUP BY partner_id
                HAVING COUNT(*) FILTER (WHERE paid_date > %(today)s::date - %(recent)s) > 0
                """,
                company=company.id,
                today=today,
                history=ANOMALY_RECENT_DAYS + ANOMALY_BASELINE_DAYS,
                recent=ANOMALY_RECENT_DAYS,
            )
        )
        evidence_by_partner = {}
        for partner_id, baseline, recent in rows:
            anomaly, evidence = payment_anomaly.is_late_anomaly(baseline or [], recent or [])
            if anomaly:
                evidence_by_partner[partner_id] = evidence
        partners = self.browse(list(evidence_by_partner)).with_company(company)._credit_may_warn(today)

        def number(value):
            return formatLang(self.env, value, digits=1)

        warnings = {}
        for partner in partners:
            evidence = evidence_by_partner[partner.id]
            note = self.env._(
                "In the last %(recent_days)s days %(recent_count)s payments were on average %(recent_mean)s days "
                "late, against %(baseline_mean)s days (standard deviation %(baseline_std)s, %(baseline_count)s "
                "payments) in the %(baseline_days)s days before: %(excess)s days later, more than the margin of "
                "%(margin)s days.",
                recent_days=ANOMALY_RECENT_DAYS,
                recent_count=evidence["recent_count"],
                recent_mean=number(evidence["recent_mean"]),
                baseline_mean=number(evidence["baseline_mean"]),
                baseline_std=number(evidence["baseline_std"]),
                baseline_count=evidence["baseline_count"],
                baseline_days=ANOMALY_BASELINE_DAYS,
                excess=number(evidence["excess"]),
                margin=number(evidence["margin"]),
            )
            warnings[partner.id] = {
                "summary": self.env._("Early warning: paying later than usual"),
                "note": note,
                "reason": self.env._(
                    "Paying later than usual: %(recent_mean)s days late on average recently, against "
                    "%(baseline_mean)s before",
                    recent_mean=number(evidence["recent_mean"]),
                    baseline_mean=number(evidence["baseline_mean"]),
                ),
            }
        partners._credit_raise_warnings(company, today, warnings)
        _logger.info("credit_control: %s early warnings on payment behaviour in %s", len(partners), company.name)
        return partners

    def _credit_may_warn(self, today):
        """The customers of ``self`` (in the current company) not warned in the last ``WARNING_QUIET_DAYS`` days
        and without an open warning activity."""
        if not self:
            return self
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        open_warnings = {
            activity.res_id
            for activity in self.env["mail.activity"]
            .sudo()
            .search_fetch(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ],
                ["res_id"],
            )
        }
        quiet_from = today - timedelta(days=WARNING_QUIET_DAYS)
        return self.filtered(
            lambda p: p.id not in open_warnings and not (p.credit_warning_date and p.credit_warning_date > quiet_from)
        )

    def _credit_rating_before(self, vals):
        """Before a write: the rating fields of ``self`` as they are, when ``vals`` changes any of them."""
        if not any(name in vals for name in CREDIT_RATING_FIELDS):
            return {}
        return {
            partner.id: {name: partner[name] for name in CREDIT_RATING_FIELDS} for partner in self.sudo() if partner.id
        }

    def _credit_record_ratings(self, before):
        """Keep each change of a rating in ``credit.rating.history`` (one create for all partners;
        ``before``: ``{partner id: old values}``, empty for a new partner). Context ``credit_rating_import``:
        the bureau file's name when the change comes from an import."""
        rows = []
        source_file = self.env.context.get("credit_rating_import")
        for partner in self.sudo():
            old = before.get(partner.id)
            if old is None:
                continue
            if old and all((old[name] or False) == (partner[name] or False) for name in CREDIT_RATING_FIELDS):
                continue
            rows.append(
                {
                    "partner_id": partner.id,
                    "company_id": partner.company_id.id,
                    "rating": partner.credit_rating,
                    "previous_rating": old.get("credit_rating") or False,
                    "rating_date": partner.credit_rating_date,
                    "source": partner.credit_rating_source,
                    "advised_limit": partner.credit_rating_advised_limit,
                    "previous_advised_limit": old.get("credit_rating_advised_limit") or 0.0,
                    "dropped": payment_anomaly.rating_dropped(old.get("credit_rating"), partner.credit_rating),
                    "user_id": self.env.uid,
                    "origin": "import" if source_file else "manual",
                    "import_file": source_file or False,
                }
            )
        if rows:
            self.env["credit.rating.history"].sudo().create(rows)

    def _credit_limit_before(self, vals):
        """Before a write of ``credit_limit``: the limits of ``self`` in the current company."""
        if "credit_limit" not in vals:
            return {}
        return {partner.id: partner.credit_limit for partner in self.sudo() if partner.id}

    def _credit_record_limits(self, before):
        """Keep each change of a credit limit (current company) in ``credit.limit.history``, with the reason from
        the context key ``credit_limit_reason`` (the *Change Limit* wizard, a credit decision), and say so in the
        chatter without the amounts (the chatter is read by every employee who may read the customer)."""
        company = self.env.company
        reason = self.env.context.get("credit_limit_reason") or self.env._("changed on the customer")
        rows = []
        for partner in self.sudo():
            old = before.get(partner.id)
            if old is None or company.currency_id.compare_amounts(old, partner.credit_limit) == 0:
                continue
            rows.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "old_limit": old,
                    "new_limit": partner.credit_limit,
                    "reason": reason,
                    "user_id": self.env.uid,
                }
            )
        if not rows:
            return
        self.env["credit.limit.history"].sudo().create(rows)
        for partner in self.browse([row["partner_id"] for row in rows]).sudo():
            partner.message_post(
                body=self.env._(
                    "Credit limit for %(company)s changed by %(user)s (see the limit history).",
                    company=company.name,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _credit_warn_rating_drops(self, old_ratings):
        """After a write of ``credit_rating``: warn at once about every customer whose rating dropped
        (``tools.payment_anomaly.rating_dropped``); a rising or unreadable rating does nothing."""
        dropped = self.filtered(lambda p: payment_anomaly.rating_dropped(old_ratings.get(p.id), p.credit_rating))
        if not dropped:
            return
        company = self.env.company
        today = fields.Date.context_today(self)
        warnings = {}
        for partner in dropped:
            note = self.env._(
                "Credit rating dropped from %(old)s to %(new)s (source: %(bureau)s, rating date: %(date)s).",
                old=old_ratings[partner.id],
                new=partner.credit_rating,
                bureau=partner.credit_rating_source or self.env._("not given"),
                date=format_date(self.env, partner.credit_rating_date) or self.env._("not given"),
            )
            warnings[partner.commercial_partner_id.id] = {
                "summary": self.env._("Early warning: credit rating dropped"),
                "note": note,
                "reason": self.env._(
                    "Credit rating dropped from %(old)s to %(new)s",
                    old=old_ratings[partner.id],
                    new=partner.credit_rating,
                ),
            }
        self.browse(list(warnings)).with_company(company)._credit_raise_warnings(company, today, warnings)

    def _credit_pending_warning_proposals(self):
        """The customers of ``self`` whose segment proposal comes from an early warning, not yet decided."""
        return self.filtered(
            lambda p: (
                p.credit_warning_date
                and p.credit_proposed_segment_id
                and p.credit_proposed_segment_id == p.credit_segment_id.warning_segment_id
            )
        )

    def _credit_raise_warnings(self, company, today, warnings):
        """Warn about the customers of ``self``: ``warnings`` maps each one's id to its summary, note (the
        evidence) and reason.

        The customer's collector (or the responsible user) gets a *Credit Warning* activity; the segment that the
        customer's segment names for warnings is proposed to the credit manager, without changing the assignment
        (a customer in automatic mode switches to proposed so the nightly run does not undo a confirmed proposal;
        a manual lock stays); the chatter tells both. Set-based: a few writes for the whole set.
        """
        if not self:
            return
        partners = self.with_company(company).sudo().with_context(credit_segment_system=True)
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        admin = self.env.ref("base.user_admin")
        Move = self.env["account.move"].with_company(company)
        activity_vals, bodies = [], {}
        proposals, to_proposed_mode = defaultdict(list), []
        for partner in partners:
            warning = warnings[partner.id]
            user = Move._credit_responsible_user(partner)
            if user._is_superuser():  # the nightly run's own user reads no activities
                user = admin
            activity_vals.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "summary": warning["summary"],
                    "note": Markup("<p>%s</p>") % warning["note"],
                    "user_id": user.id,
                    "date_deadline": today,
                }
            )
            body = Markup("<p><strong>%s</strong></p><p>%s</p>") % (warning["summary"], warning["note"])
            target = partner.credit_segment_id.warning_segment_id
            if target and target != partner.credit_segment_id:
                if partner.credit_proposed_segment_id != target:
                    proposals[target.id].append(partner.id)
                if (partner.credit_segment_mode or "auto") == "auto":
                    to_proposed_mode.append(partner.id)
                body += Markup("<p>%s</p>") % self.env._(
                    "Segment %(segment)s proposed for %(company)s; waiting for a credit manager.",
                    segment=target.name,
                    company=company.name,
                )
            bodies[partner.id] = body
        self.env["mail.activity"].sudo().create(activity_vals)
        for target_id, partner_ids in proposals.items():
            partners.browse(partner_ids).write({"credit_proposed_segment_id": target_id})
        if to_proposed_mode:
            partners.browse(to_proposed_mode).write({"credit_segment_mode": "proposed"})
        partners.write({"credit_warning_date": today})
        for reason, group in partners.grouped(lambda p: warnings[p.id]["reason"]).items():
            group.write({"credit_warning_reason": reason})
        partners._message_log_batch(bodies=bodies)

    # ------------------------------------------------------------------
    # Best channel: which reminder channel gets the customer to pay
    # ------------------------------------------------------------------

    @api.model
    def _credit_compute_best_channels(self, company, today=None):
        """Store per customer of ``company`` the reminder channel that worked best, with its evidence.

        Observations (one query for all customers): the done reminders (``BEST_CHANNEL_CHANNELS``) of the last
        ``BEST_CHANNEL_HISTORY_DAYS`` days, with the days from the reminder to the payment of the last of the
        items it covered, or None when they were not all paid within ``BEST_CHANNEL_WINDOW_DAYS`` days (a
        reminder whose window is still running and that is not paid yet is left out). A segment's observations
        are those of its customers. ``tools.channel_ranking.best_channel`` chooses. Written with one UPDATE; the
        number of queries does not depend on the number of customers. Returns the number of customers changed.
        """
        today = today or fields.Date.context_today(self)
        for model in ("account.move.line", "account.partial.reconcile", "res.partner", "credit.action"):
            self.env[model].flush_model()
        key = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT act.partner_id,
                       (cp.credit_segment_id ->> %(key)s)::int,
                       act.channel,
                       CASE WHEN paid.all_paid AND paid.paid_date <= act.date + %(window)s
                            THEN GREATEST(paid.paid_date - act.date, 0) END
                  FROM credit_action act
                  JOIN res_partner cp ON cp.id = act.partner_id
                  CROSS JOIN LATERAL (
                        SELECT BOOL_AND(aml.reconciled) AS all_paid, MAX(apr.max_date) AS paid_date
                          FROM credit_action_account_move_line_rel rel
                          JOIN account_move_line aml ON aml.id = rel.line_id
                     LEFT JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                         WHERE rel.action_id = act.id
                  ) paid
                 WHERE act.company_id = %(company)s
                   AND act.state = 'done'
                   AND act.channel = ANY(%(channels)s)
                   -- a step of a level: the check of a promise or plan reminds of no items
                   AND act.level_id IS NOT NULL
                   AND act.date > %(today)s::date - %(history)s
                   AND act.date <= %(today)s
                   AND (act.date <= %(today)s::date - %(window)s
                        OR (paid.all_paid AND paid.paid_date <= %(today)s))
              ORDER BY act.id
                """,
                key=key,
                window=BEST_CHANNEL_WINDOW_DAYS,
                company=company.id,
                channels=BEST_CHANNEL_CHANNELS,
                today=today,
                history=BEST_CHANNEL_HISTORY_DAYS,
            )
        )
        customer_obs, segment_obs = defaultdict(list), defaultdict(list)
        for partner_id, segment_id, channel, days in rows:
            customer_obs[partner_id].append((channel, days))
            if segment_id:
                segment_obs[segment_id].append((channel, days))
        # every customer of a segment with history, and those holding a suggestion that may have to go
        members = self.env.execute_query(
            SQL(
                """
                SELECT id, (credit_segment_id ->> %(key)s)::int
                  FROM res_partner
                 WHERE (credit_segment_id ->> %(key)s)::int = ANY(%(segments)s)
                    OR credit_best_channel ? %(key)s
                    OR id = ANY(%(partners)s)
                """,
                key=key,
                segments=list(segment_obs),
                partners=list(customer_obs),
            )
        )
        segments = self.env["credit.segment"].browse(list(segment_obs))
        names = {segment.id: segment.name for segment in segments}
        channel_labels = dict(self._fields["credit_best_channel"]._description_selection(self.env))
        ids, channels, evidences = [], [], []
        for partner_id, segment_id in members:
            channel, source, row = channel_ranking.best_channel(
                customer_obs.get(partner_id, []), segment_obs.get(segment_id, [])
            )
            if channel:
                ids.append(partner_id)
                channels.append(channel)
                evidences.append(
                    self._credit_channel_evidence(channel_labels[channel], source, row, names.get(segment_id))
                )
        changed = 0
        if ids:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p
                       SET credit_best_channel = COALESCE(p.credit_best_channel, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, v.channel),
                           credit_best_channel_evidence = COALESCE(p.credit_best_channel_evidence, '{}'::jsonb)
                                                 || jsonb_build_object(%(key)s, v.evidence)
                      FROM unnest(%(ids)s::int[], %(channels)s::varchar[], %(evidences)s::varchar[])
                           AS v(id, channel, evidence)
                     WHERE p.id = v.id
                       AND ((p.credit_best_channel ->> %(key)s) IS DISTINCT FROM v.channel
                         OR (p.credit_best_channel_evidence ->> %(key)s) IS DISTINCT FROM v.evidence)
                    """,
                    key=key,
                    ids=ids,
                    channels=channels,
                    evidences=evidences,
                )
            )
            changed += self.env.cr.rowcount
        if len(ids) < len(members):
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner
                       SET credit_best_channel = credit_best_channel - %(key)s,
                           credit_best_channel_evidence = credit_best_channel_evidence - %(key)s
                     WHERE credit_best_channel ? %(key)s
                       AND NOT id = ANY(%(ids)s)
                    """,
                    key=key,
                    ids=ids,
                )
            )
            changed += self.env.cr.rowcount
        self.invalidate_model(["credit_best_channel", "credit_best_channel_evidence"])
        return changed

    @api.model
    def _credit_channel_evidence(self, channel_label, source, row, segment_name):
        """The evidence of a suggested channel in words, e.g. 'SMS: paid after 4 of 5 reminders, median 3 days
        (customer history)'."""
        median_days = row["median_days"]
        values = {
            "channel": channel_label,
            "paid": row["paid_count"],
            "count": row["count"],
            "days": formatLang(self.env, median_days, digits=1 if median_days % 1 else 0),
        }
        if source == "customer":
            return self.env._(
                "%(channel)s: paid after %(paid)s of %(count)s reminders, median %(days)s days (customer history)",
                **values,
            )
        return self.env._(
            "%(channel)s: paid after %(paid)s of %(count)s reminders, median %(days)s days (segment %(segment)s)",
            segment=segment_name,
            **values,
        )
