namespace Isthmus.Connectors.Tests;
