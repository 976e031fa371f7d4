-- Uploads per day, with how many of them ended PERMANENT or FAILED so far.
select e.day,
       count(*) as uploads,
       count(*) filter (where r.state = 'PERMANENT') as permanent,
       count(*) filter (where r.state = 'FAILED') as failed,
       sum(e.size) as bytes
  from pipeline_events e
  left join resources r on r.id = e.resource_id
 where e.type = 'uploaded'
 group by e.day
 order by e.day
