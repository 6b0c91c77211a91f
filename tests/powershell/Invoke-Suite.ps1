<#
    Runs Pester 5.7.1 test files and writes a JUnit report (used by tests/test_powershell.py).
    With -CoveragePath it also measures Pester's code coverage of those files (commands executed /
    commands analyzed) and writes it as JSON to -CoverageReport.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string[]] $TestFile,
    [Parameter(Mandatory)] [string] $ReportPath,
    [string[]] $CoveragePath = @(),
    [string] $CoverageReport
)
$ErrorActionPreference = 'Stop'
Import-Module -Name $PesterManifest -RequiredVersion 5.7.1 -Force
$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestFile
$configuration.Run.Exit = $false
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'JUnitXml'
$configuration.TestResult.OutputPath = $ReportPath
if ($CoveragePath.Count -gt 0) {
    $configuration.CodeCoverage.Enabled = $true
    $configuration.CodeCoverage.Path = $CoveragePath
    $configuration.CodeCoverage.OutputPath = [System.IO.Path]::ChangeExtension($CoverageReport, '.jacoco.xml')
}
$result = Invoke-Pester -Configuration $configuration
if ($CoveragePath.Count -gt 0) {
    $coverage = $result.CodeCoverage
    $missed = @($coverage.CommandsMissed | ForEach-Object { '{0}:{1}: {2}' -f (Split-Path -Leaf $_.File), $_.Line, $_.Command })
    $summary = [ordered]@{
        analyzed = $coverage.CommandsAnalyzedCount
        executed = $coverage.CommandsExecutedCount
        percent  = [math]::Round(100.0 * $coverage.CommandsExecutedCount / [math]::Max(1, $coverage.CommandsAnalyzedCount), 1)
        missed   = $missed
    }
    Set-Content -LiteralPath $CoverageReport -Value ($summary | ConvertTo-Json -Depth 3) -Encoding UTF8
    Write-Output ("Pester code coverage of the module: {0} % ({1} of {2} commands)" -f $summary.percent, $summary.executed, $summary.analyzed)
}
exit ($result.FailedCount + $result.FailedContainersCount)
