# The job classes of the Sidekiq round trip. The Sidekiq process loads this
# file (-r); each job records what it did in Redis keys the round trip reads
# back.
require "sidekiq"

# Sidekiq polls the schedule and retry sets about every 5 s by default (and
# waits 10 s before its first poll): poll often so the scheduled job and the
# retry run within a second or so.
Sidekiq.options[:poll_interval_average] = 0.2
# redis-rb 4.8 warns that Sidekiq 6.4's SADD will return an integer in 5.0.
Redis.silence_deprecations = true

class AddJob
  include Sidekiq::Job

  def perform(a, b)
    Sidekiq.redis { |r| r.set("result:add:#{a}+#{b}", a + b) }
  end
end

class ScheduledJob
  include Sidekiq::Job

  def perform(tag)
    Sidekiq.redis { |r| r.set("result:scheduled", tag) }
  end
end

# Fails on its first run; the retry goes through the retry set and the
# scheduler's poll like any other.
class FlakyJob
  include Sidekiq::Job
  sidekiq_options retry: 2
  sidekiq_retry_in { |_count, _exception| 0 }

  def perform
    attempt = Sidekiq.redis { |r| r.incr("flaky:attempts") }
    raise "first attempt fails on purpose" if attempt == 1

    Sidekiq.redis { |r| r.set("result:flaky", "succeeded on attempt #{attempt}") }
  end
end

# Never succeeds and has no retries: it goes straight to the dead set.
class DoomedJob
  include Sidekiq::Job
  sidekiq_options retry: 0

  def perform
    raise ArgumentError, "this job always fails"
  end
end
