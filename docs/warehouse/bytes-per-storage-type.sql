-- Bytes and files held per storage type (the storage a resource is in now), live resources only.
select coalesce(s.storage_type, '(unknown storage ' || r.storage_id || ')') as storage_type,
       count(*) as resources,
       sum(r.size) as bytes
  from resources r
  left join storages s on s.id = r.storage_id
 where r.state <> 'DELETING'
 group by all
 order by bytes desc
