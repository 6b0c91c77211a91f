<#
    One "remote" call of the simulated fleet (SimulatedFleet.ps1), in a process of its own: the
    simulated Windows of one server is process-wide state (environment, $global:WslppSim), as a
    remote session is a process on its own computer. Reads a request (CliXml: Sim, Script,
    Arguments, Output), loads that server's simulated Windows, runs the script with the arguments
    and writes everything it produced (objects and error records) to Output as CliXml, which
    deserializes them as remoting does (about_Remote_Output: "deserialized objects"). A task the
    script started runs its watcher in this process, so it is stopped when the call ends (a real
    task would go on running; tests that need a running watcher use one server in-process).
#>
param([Parameter(Mandatory)] [string] $Request)
Set-StrictMode -Version Latest
$call = Import-Clixml -LiteralPath $Request
. (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
$sim = $call.Sim
$global:WslppSim = [pscustomobject]@{
    Root = $sim.Root; State = $sim.State; ProgramData = $sim.ProgramData; ProgramFiles = $sim.ProgramFiles
    SystemRoot = $sim.SystemRoot; SavedEnv = @{}; Background = [System.Collections.ArrayList]::new(); Tasks = @{}; Stopping = @{}
}
foreach ($name in $sim.Environment.Keys) { [Environment]::SetEnvironmentVariable($name, $sim.Environment[$name]) }
$output = @()
try {
    $global:LASTEXITCODE = 0
    $arguments = @($call.Arguments)
    $output = @(& ([scriptblock]::Create($call.Script)) @arguments 2>&1)
}
catch { $output += $_ }
finally {
    foreach ($key in @($global:WslppSim.Tasks.Keys)) {
        $path, $name = $key -split '\\(?=[^\\]+$)'
        Stop-ScheduledTask -TaskPath "$path\" -TaskName $name
    }
    foreach ($handle in @($global:WslppSim.Background)) { $null = Stop-SimScript -Handle $handle }
}
$output | Export-Clixml -LiteralPath $call.Output -Depth 5   # one object each, as remoting sends them
