using TypedSkv.Tool;

return SkvCli.Run(args, Console.Out, Console.Error);
