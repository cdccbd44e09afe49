using Spindle.Web;

// One line before anything else: a worker process (this app, re-executed) runs tasks here and never builds the web app.
// Spindle's startup hook does it anyway; the line makes it explicit and works where startup hooks are off.
Spindle.Worker.RunIfWorker();

await WebSample.Build(args).RunAsync();
