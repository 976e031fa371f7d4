-- Artists with the most songs, their albums and total playing time (duration is mm:ss).
select artist,
       count(*) as songs,
       count(distinct album) as albums,
       sum(cast(split_part(duration, ':', 1) as integer) * 60 + cast(split_part(duration, ':', 2) as integer)) as seconds
  from songs
 group by artist
 order by songs desc, artist
 limit 10
