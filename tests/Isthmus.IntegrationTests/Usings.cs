namespace Isthmus.IntegrationTests;
