# Sidekiq's round trip: perform_async and perform_in from a client, a real
# Sidekiq process (the Debian package's `sidekiq`) processing the jobs, a job
# retried through the retry set, one that ends in the dead set, then the
# Redis keys the jobs wrote and Sidekiq's own sets and stats. Prints one line
# per check; tests/clients.rs runs it against both servers and compares the
# output.
require "sidekiq"
require "sidekiq/api"
require "tmpdir"
require_relative "sidekiq_jobs"

PORT = Integer(ARGV.fetch(0))
URL = "redis://127.0.0.1:#{PORT}/0"
DEADLINE = 20

Sidekiq.configure_client { |config| config.redis = { url: URL } }
Sidekiq.logger.level = Logger::WARN

def show(name, value)
  puts "#{name}: #{value.inspect}"
  $stdout.flush
end

def redis(&block)
  Sidekiq.redis(&block)
end

def done?(*keys)
  redis { |r| r.exists(*keys) == keys.size }
end

# Waits until the block is true, failing the run (with Sidekiq's log) past
# the deadline.
def wait_for(what, log)
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  until yield
    if Process.clock_gettime(Process::CLOCK_MONOTONIC) - started > DEADLINE
      abort "#{what}: not done in #{DEADLINE} s; sidekiq's log:\n#{File.read(log)}"
    end
    sleep 0.05
  end
end

redis(&:flushall)
AddJob.perform_async(2, 3)
AddJob.perform_async(40, 2)
ScheduledJob.perform_in(0.3, "ran when due")
FlakyJob.perform_async
DoomedJob.perform_async
show "enqueued", Sidekiq::Queue.new("default").size
show "scheduled", Sidekiq::ScheduledSet.new.size

log = File.join(Dir.tmpdir, "sidekiq-roundtrip-#{PORT}.log")
# Failures quote the log, so it can go whatever the outcome.
at_exit { File.delete(log) if File.exist?(log) }
pid = Process.spawn({ "REDIS_URL" => URL }, "sidekiq", "-r", File.expand_path("sidekiq_jobs.rb", __dir__),
                    "-c", "2", "-q", "default", "-t", "5", %i[out err] => log)
begin
  wait_for("first runs", log) do
    done?("result:add:2+3", "result:add:40+2", "result:scheduled") &&
      Sidekiq::DeadSet.new.size == 1 && Sidekiq::RetrySet.new.size == 1
  end
  # Sidekiq delays a retry by at least 1 s plus up to 9 s of jitter, so do
  # what the Web UI's "Retry now" does: move it back onto its queue.
  retry_set = Sidekiq::RetrySet.new
  show "in the retry set", retry_set.map { |job| [job.klass, job["retry_count"], job["error_message"]] }
  retry_set.retry_all
  wait_for("the retry", log) { done?("result:flaky") }
ensure
  Process.kill("TERM", pid)
  _, status = Process.wait2(pid)
end
abort "sidekiq exited #{status}; its log:\n#{File.read(log)}" unless status.success?

redis do |r|
  show "results", r.keys("result:*").sort.map { |k| [k, r.get(k)] }
  show "flaky attempts", r.get("flaky:attempts")
end
dead = Sidekiq::DeadSet.new.to_a
show "dead", dead.map { |job| [job.klass, job["error_class"], job["error_message"]] }
show "left in the queue", Sidekiq::Queue.new("default").size
show "scheduled left", Sidekiq::ScheduledSet.new.size
show "retries left", Sidekiq::RetrySet.new.size
stats = Sidekiq::Stats.new
show "processed, failed", [stats.processed, stats.failed]
show "processes", Sidekiq::ProcessSet.new.size
