global using ContractWorkAlias = Spindle.Tests.Contract.ContractWork;
