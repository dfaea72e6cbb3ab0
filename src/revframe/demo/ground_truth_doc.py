"""The README written into ``ground_truth/``: what each file means and how to score against it."""

README = """\
# Ground truth of the demo company (Northwind Analytics)

Everything planted in the generated exports is listed here, so that the quality, process,
metrics and success engines can be scored. Ids are the source systems' ids (`external_id`);
the canonical id of a row is `<source_system>:<external_id>`. Times are UTC
(`YYYY-MM-DDTHH:MM:SSZ`). The company's history ends on 2026-09-30 (the as-of date).

## duplicates.csv
One row per record of a real-world person or company that has more than one record.
`cluster_id` groups the records of one entity; `table` is `contacts` or `accounts`.
`role`: `original` (the first record), `duplicate` (another record of the same entity), or
`converted_lead` (a Salesforce lead whose conversion created the contact in the cluster: a lineage
link through `ConvertedContactId`, not a defect to merge).
`defect` says how the duplicate differs: `typo`, `nickname` (Bob/Robert), `case`, `swapped_names`,
`missing_values`, `personal_email` (gmail/outlook instead of the work address), `company_suffix`
(Inc./Incorporated/GmbH dropped...), `lead_is_contact` (an open lead for someone who is already a
contact), `cross_system` (the HubSpot copy of a Salesforce record).

## invalid_values.csv
Planted invalid values: `field` is the canonical field, `column` the export column, `value` what
the file holds, `defect` the kind (`at_spelled_out` like `grace(at)navy.mil`, `missing_tld`, `space`,
`double_at`, `missing_at`, `trailing_dot`; phones `too_short`, `letters`, `placeholder`, ...;
countries `typo`, `unknown_code`).

## missing_required.csv
Planted blanks in fields the demo treats as required: accounts `industry`, `country`; contacts
`email`, `title`; leads `email`, `country`; opportunities `amount` (early-stage open deals).
`defect` is `missing`, or `duplicate_missing_values` for a planted duplicate without values.

## naming_violations.csv
Campaigns whose name breaks the convention `YYYY-QN_channel_name` (lower-case, hyphens inside
parts, e.g. `2025-Q3_webinar_data-quality`); quarterly parent programs are named
`YYYY-QN_program_demand-gen`. `defect` says how the name breaks it.

## stage_skips.csv
Opportunities whose stage history jumps over a stage (`from_stage` -> `to_stage`, skipping
`skipped_stage`, at `changed_at`). Stages, in order: Qualification, Discovery, Solution Demo,
Proposal, Negotiation, then Closed Won (only from Negotiation) or Closed Lost (from any stage).

## response_times.csv and sla_breaches.csv
Every MQL'd lead (record_type lead, keyed by the lead's `external_id`) with its owner (the SDR it
was assigned to at the MQL time: `assigned_at` = `mql_at`), the automated sequence email sent 30
seconds after the MQL (`first_automated_at`, `Is_Automated__c = true`: not a response), and the
first genuine rep action (`first_action_at`: a call or email by the owner). `minutes` is
wall-clock, `business_minutes` counts only the owner's working hours (Mon-Fri, `Working_Hours__c`
in `TimeZoneSidKey`). MQLs happen during the owner's working hours. Normal responses take at most
120 minutes; planted breaches (`planted_breach = true`, also listed in `sla_breaches.csv`) come at
least one working day later, so any SLA between 2 and 8 hours classifies them the same way, in
wall-clock or working-hours minutes. Leads with no `first_action_at` had not been answered by the
as-of date. Activities logged before conversion stay on the lead (`WhoId` = lead id); the converted
contact carries copies of `MQL_Date__c` / `SQL_Date__c`, so count funnel stages per lead or follow
`converted_contact_id`.

## customer_motions.csv
ARR movements per account (Salesforce account id): `new` (first subscription), `expansion`
(add-on or renewal uplift), `contraction` (renewal at lower ARR), `churn` (renewal lost; the delta
is minus the ARR that ended). `effective_date` is the day the ARR changes (`month` its month);
`arr_delta` is in the account's `currency`. Renewals at the same ARR are not listed.

## bad_rows.csv
Malformed rows that ingest must quarantine (about 0.1% of Account, Contact, Lead and Opportunity
rows): `file` (relative to the demo folder), physical `line` (the header is line 1), `field`
(column), `value`.

## Other notes
- `billing/`, `support/`, `product/`, `success/` reference Salesforce accounts (`sf_account_id`)
  and contacts (`sf_contact_id`); their mapping files say so with `ref_system: salesforce`.
- Product usage is aggregated weekly (`week_start` is a Monday) over the last 26 weeks; churning
  customers' usage declines over the 16 weeks before they churn.
- Counts returned by `generate_company` are rows written, malformed rows included.
"""
