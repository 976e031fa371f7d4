-- Processing failures by reason, with the first and last time each was seen.
select coalesce(reason, '(none recorded)') as reason,
       count(*) as failures,
       min(occurred_at) as first_seen,
       max(occurred_at) as last_seen
  from pipeline_events
 where type = 'failed'
 group by all
 order by failures desc, reason
