var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapGet("/light", static () => "ok");
app.MapGet("/wait", static async (CancellationToken token) =>
{
    await Task.Delay(100, token);
    return "waited";
});
await app.RunAsync();
