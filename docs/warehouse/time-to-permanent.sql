-- Seconds from upload to PERMANENT, per day of upload: median, p90, p99 and the worst.
select u.day,
       count(*) as resources,
       round(quantile_cont(epoch(p.occurred_at - u.occurred_at), 0.5), 3) as p50_seconds,
       round(quantile_cont(epoch(p.occurred_at - u.occurred_at), 0.9), 3) as p90_seconds,
       round(quantile_cont(epoch(p.occurred_at - u.occurred_at), 0.99), 3) as p99_seconds,
       round(max(epoch(p.occurred_at - u.occurred_at)), 3) as max_seconds
  from pipeline_events u
  join pipeline_events p on p.resource_id = u.resource_id and p.type = 'permanent'
 where u.type = 'uploaded'
 group by u.day
 order by u.day
