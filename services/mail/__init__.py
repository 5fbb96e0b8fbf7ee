"""Email: the daily reminder, the monthly reports and single messages such as password-reset links and booking
confirmations.

One module per part; callers import the part they use (`from services.mail import jobs as mail_jobs`):

- `transport`  composing a message and delivering it: SMTP (yagmail) or the outbox folder; Refused, ServerDown
- `wire`       the runs' emails written straight to the bytes SMTP sends (no email object tree per email)
- `links`      the signed unsubscribe tokens and links in every reminder and report
- `months`     the periods the jobs count in: local days and months, parsing YYYY-MM, last month
- `content`    the queries: who gets each email, the reminder's picks, the reports' figures
- `render`     the subject, text and HTML of each email
- `runner`     a run: claiming and settling each delivery once, a step of people per transaction, retries, the
               JobRun record
- `chart_pool` the managers' charts of a run, drawn in a process pool while the other emails go
- `jobs`       send_reminders and send_monthly_reports, for the scheduler, the CLI and the admin
- `outbox`     single emails a change asks for in its transaction (password resets, ...), delivered after the
               commit by the elected scheduler, once; a row may be composed only when it is sent
               (a package: `queue` asks, `delivery` delivers)
- `booking_mail` the booking confirmation (QR codes inline, tickets PDF and .ics attached) and cancellation:
               queued by services.booking, composed by the outbox from the booking when sent
- `waitlist_mail` a waiting-list offer (composed in the offer's transaction) and a cancelled performance (one
               row per person, composed when sent, listing their bookings)
- `admin`      the admin's view: recent runs, run now, the email queue, the outbox folder

Imports point one way: admin → jobs → content, render, runner, links, chart_pool, wire → transport;
admin → outbox → transport;
booking_mail → outbox, services.etickets; waitlist_mail → outbox;
render → content; runner → transport; any part may use months.
"""
