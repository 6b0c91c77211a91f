<#
    Processes: a task's run in the background, an entry script in a process of its own, the process
    table.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Start-SimScript {
    <#
        Runs a script in a background runspace of this process, with the simulated Windows
        loaded there too (like a task running beside the installer). Returns a handle for
        Wait-SimScript / Stop-SimScript.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Arguments = @())
    $shell = [powershell]::Create()
    $null = $shell.AddScript({
            param($SimScript, $Sim, $Path, $Arguments)
            . $SimScript
            $global:WslppSim = $Sim
            $splat = @{}
            foreach ($argument in $Arguments) { $splat[$argument.TrimStart('-')] = $true }
            $global:LASTEXITCODE = 0
            & $Path @splat *> $null
            $LASTEXITCODE
        }).AddArgument((Join-Path $PSScriptRoot 'SimulatedWindows.ps1')).AddArgument($global:WslppSim).AddArgument($Path).AddArgument($Arguments)
    $handle = [pscustomobject]@{ Shell = $shell; Async = $shell.BeginInvoke(); ExitCode = $null }
    [void] $global:WslppSim.Background.Add($handle)
    return $handle
}

function global:Wait-SimScript {
    <# Waits for a background script to end (up to Seconds); returns its exit code, or $null if it still runs. #>
    param([Parameter(Mandatory)] $Handle, [double] $Seconds = 30)
    if ($null -ne $Handle.ExitCode) { return $Handle.ExitCode }
    if (-not $Handle.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))) { return $null }
    $output = $Handle.Shell.EndInvoke($Handle.Async)
    $Handle.ExitCode = [int] @($output)[-1]
    return $Handle.ExitCode
}

function global:Stop-SimScript {
    <# Stops a background script (its finally blocks run), as stopping the task would. #>
    param([Parameter(Mandatory)] $Handle)
    if ($Handle.Async.IsCompleted) { return (Wait-SimScript -Handle $Handle) }
    $Handle.Shell.Stop()
    $Handle.ExitCode = 267014   # 0x41306: the task was terminated
    return $Handle.ExitCode
}

function global:ConvertTo-SimEntryWord {
    <# Parameters as the words of a command line: @{ Watch = $true; Minutes = 5 } -> '-Minutes', '5', '-Watch'. #>
    param([hashtable] $Parameters = @{})
    foreach ($name in $Parameters.Keys | Sort-Object) {
        "-$name"
        if ($Parameters[$name] -isnot [bool] -and $Parameters[$name] -isnot [switch]) { "$($Parameters[$name])" }
    }
}

function global:Invoke-SimEntryScript {
    <#
        Runs an entry script as Windows does: a separate PowerShell process started with -File and the
        given words as its arguments (what the task's action, an admin in cmd or a deployment tool
        passes), on this simulated Windows (sim/Start-SimEntry.ps1). Returns its exit code and what it
        wrote to stdout and stderr. Account ('CORP\admin') runs it as another account: USERDOMAIN and
        USERNAME of the child only (the fakes take them for the caller's token; fakewin.py caller()).
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Arguments = @(), [int] $TimeoutSeconds = 300,
        [string] $Account)
    if ($Account) {
        $saved = @{ USERDOMAIN = $env:USERDOMAIN; USERNAME = $env:USERNAME }
        $env:USERDOMAIN, $env:USERNAME = $Account.Split('\', 2)
        try { return Invoke-SimEntryScript -Path $Path -Arguments $Arguments -TimeoutSeconds $TimeoutSeconds }
        finally { $env:USERDOMAIN = $saved.USERDOMAIN; $env:USERNAME = $saved.USERNAME }
    }
    # The PowerShell this test runs in: powershell.exe (5.1) or pwsh, which can be a dotnet tool (not the process's own path).
    $shell = Join-Path $PSHOME 'powershell.exe'
    if ($PSVersionTable.PSEdition -ne 'Desktop') { $shell = @(Get-ChildItem -LiteralPath $PSHOME -Filter 'pwsh*' | Where-Object { $_.Name -in 'pwsh', 'pwsh.exe' })[0].FullName }
    $entry = Join-Path $PSScriptRoot 'Start-SimEntry.ps1'
    $out = Join-Path $global:WslppSim.Root "entry-$([guid]::NewGuid().ToString('n'))"
    $words = @('-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $entry, $Path) + @($Arguments | Where-Object { $null -ne $_ })
    $process = Start-Process -FilePath $shell -ArgumentList (@($words | ForEach-Object { '"{0}"' -f $_ }) -join ' ') -NoNewWindow -PassThru `
        -RedirectStandardOutput "$out.out" -RedirectStandardError "$out.err"
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill()
        throw "$Path $Arguments did not end within $TimeoutSeconds s"
    }
    $process.WaitForExit()
    # PowerShell 7 may colour what it writes (ANSI escapes, e.g. under a TERM); Windows PowerShell 5.1 does not.
    $plain = { param($Path) [System.IO.File]::ReadAllText($Path) -replace '\x1b\[[0-9;?]*[A-Za-z]', '' }
    return [pscustomobject]@{
        ExitCode = $process.ExitCode
        Output   = & $plain "$out.out"
        Error    = & $plain "$out.err"
    }
}

function global:Get-SimProcessName {
    <#
        The simulated process table: PID -> name. PID 4 is System, where HTTP.sys (IIS, WinRM's HTTP
        listener, ...) listens; iphlpsvc runs in a shared svchost (docs/windows-facts.md, row "IP Helper
        (iphlpsvc, in a shared svchost, PID 2872) listens for each portproxy rule it can bind"). network.json's processes adds or overrides entries ({"1234": "nginx"}).
    #>
    $names = @{ 4 = 'System'; 2872 = 'svchost'; 5120 = 'wslrelay' }
    $network = Read-SimState 'network.json' @{}
    if ($network.ContainsKey('processes')) { foreach ($key in $network.processes.Keys) { $names[[int] $key] = $network.processes[$key] } }
    return $names
}

function global:Get-Process {
    <# A PID of the simulated process table answers from it; any other call is the real Get-Process (keep-alives are real processes). #>
    [CmdletBinding()] param([int[]] $Id, [Parameter(Position = 0)] [string[]] $Name)
    if ($null -eq $Id -or $null -eq $global:WslppSim) { return Microsoft.PowerShell.Management\Get-Process @PSBoundParameters }
    $simulated = Get-SimProcessName
    foreach ($number in $Id) {
        if ($simulated.ContainsKey($number)) { [pscustomobject]@{ Id = $number; ProcessName = $simulated[$number]; Path = $null; HasExited = $false } }
        else { Microsoft.PowerShell.Management\Get-Process -Id $number -ErrorAction $ErrorActionPreference }
    }
}
