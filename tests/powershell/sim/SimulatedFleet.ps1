<#
    A simulated fleet: several simulated Windows servers (SimulatedWindows.ps1, one folder tree
    each) and stand-ins for the PowerShell remoting cmdlets that Publish-WslPortProxy calls.
    Dot-source it after SimulatedWindows.ps1, only in the tests of the admin's side.

    Remoting as documented (about_Remote, about_Remote_Output, about_Remote_Troubleshooting;
    New-PSSession, Invoke-Command and Copy-Item docs):
      - New-PSSession -ComputerName opens one session per reachable computer; for one it cannot
        reach it writes a non-terminating error "Connecting to remote server NAME failed with the
        following error message : WinRM cannot complete the operation. ..." and goes on.
      - Invoke-Command -Session runs the script block (or -FilePath's script) in each session, at
        most -ThrottleLimit at once (default 32), each in the remote computer's own process:
        here a separate pwsh process with that server's simulated Windows (Invoke-SimRemote.ps1, beside this file).
        Output objects come back deserialized with PSComputerName added; remote errors come back as
        RemotingErrorRecord whose OriginInfo names the computer.
      - Copy-Item -ToSession copies to a path on the remote computer: here, into that server's tree.
    Every remote call is written to the fleet log: "<ticks> start|end <server> <label>".
#>

Set-StrictMode -Version Latest
$global:WslppFleet = $null

function global:New-SimFleet {
    <# One simulated Windows per name; the last one is this process's until Use-SimServer says otherwise. #>
    param([Parameter(Mandatory)] [string[]] $Name)
    $servers = [ordered]@{}
    foreach ($server in $Name) {
        $sim = New-SimulatedWindows -ComputerName $server
        $temp = Join-Path $sim.Root 'Temp'
        New-Item -ItemType Directory -Path $temp | Out-Null
        $environment = @{
            ProgramData = $sim.ProgramData; ProgramFiles = $sim.ProgramFiles; SystemRoot = $sim.SystemRoot
            COMPUTERNAME = $server; USERDOMAIN = 'CORP'; USERNAME = 'svc-podman'; WSL_UTF8 = $null
            WSLPP_SIM_STATE = $sim.State; TEMP = $temp; TMP = $temp
        }
        $servers[$server] = [pscustomobject]@{ Sim = $sim; Environment = $environment }
    }
    $log = Join-Path ([System.IO.Path]::GetTempPath()) "simfleet-$([guid]::NewGuid().ToString('n')).log"
    $global:WslppFleet = [pscustomobject]@{ Servers = $servers; Unreachable = @(); Log = $log }
}

function global:Use-SimServer {
    <# Makes this process's simulated Windows that server's, to set a scene or read its state. #>
    param([Parameter(Mandatory)] [string] $Name)
    $server = $global:WslppFleet.Servers[$Name]
    $global:WslppSim = $server.Sim
    foreach ($key in $server.Environment.Keys) { [Environment]::SetEnvironmentVariable($key, $server.Environment[$key]) }
}

function global:Remove-SimFleet {
    if ($null -eq $global:WslppFleet) { return }
    $names = @($global:WslppFleet.Servers.Keys)
    [array]::Reverse($names)   # each restores the environment it found: the first one the original
    foreach ($name in $names) {
        $global:WslppSim = $global:WslppFleet.Servers[$name].Sim
        Remove-SimulatedWindows
    }
    Remove-Item -LiteralPath $global:WslppFleet.Log -ErrorAction SilentlyContinue
    $global:WslppFleet = $null
}

function global:Add-SimFleetCall {
    param([string] $Text)
    Add-Content -LiteralPath $global:WslppFleet.Log -Value "$([DateTime]::UtcNow.Ticks) $Text" -WhatIf:$false
}

function global:Get-SimFleetCall {
    <# The fleet log as objects: Ticks, Event (start, end, session, copy, ...), Server, Label. #>
    if (-not (Test-Path -LiteralPath $global:WslppFleet.Log)) { return }
    foreach ($line in Get-Content -LiteralPath $global:WslppFleet.Log) {
        $ticks, $event, $server, $label = $line -split ' ', 4
        [pscustomobject]@{ Ticks = [long] $ticks; Event = $event; Server = $server; Label = $label }
    }
}

function global:Clear-SimFleetCall { Remove-Item -LiteralPath $global:WslppFleet.Log -ErrorAction SilentlyContinue }

function global:Get-SimPwsh {
    <# How to start this PowerShell again: pwsh, or dotnet with pwsh.dll for the dotnet tool. #>
    $process = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

function global:New-PSSession {
    [CmdletBinding()]
    param([string[]] $ComputerName, [System.Management.Automation.PSCredential] $Credential, [int] $ThrottleLimit = 32)
    foreach ($name in $ComputerName) {
        $user = if ($Credential) { $Credential.UserName } else { '' }
        Add-SimFleetCall "session $name $user"
        if (-not $global:WslppFleet.Servers.Contains($name) -or $global:WslppFleet.Unreachable -contains $name) {
            $message = "Connecting to remote server $name failed with the following error message : WinRM cannot complete the " +
                'operation. Verify that the specified computer name is valid, that the computer is accessible over the network, ' +
                'and that a firewall exception for the WinRM service is enabled and allows access from this computer. For more ' +
                'information, see the about_Remote_Troubleshooting Help topic.'
            Write-Error -Message $message -ErrorId 'WinRMOperationTimeout,PSSessionOpenFailed' -Category OpenError -TargetObject $name
            continue
        }
        [pscustomobject]@{ PSTypeName = 'SimFleet.PSSession'; ComputerName = $name; State = 'Opened'; Id = [Math]::Abs($name.GetHashCode()) }
    }
}

function global:Remove-PSSession {
    [CmdletBinding()] param([object[]] $Session)
    foreach ($item in $Session) { Add-SimFleetCall "close $($item.ComputerName)" }
}

function global:Start-SimRemote {
    <# Starts one remote call in its own process; returns what Invoke-Command needs to collect it. #>
    param($Session, [string] $Script, [object[]] $Arguments, [string] $Label)
    $server = $global:WslppFleet.Servers[$Session.ComputerName]
    $request = Join-Path ([System.IO.Path]::GetTempPath()) "simremote-$([guid]::NewGuid().ToString('n'))"
    $sim = @{ Root = $server.Sim.Root; State = $server.Sim.State; ProgramData = $server.Sim.ProgramData
        ProgramFiles = $server.Sim.ProgramFiles; SystemRoot = $server.Sim.SystemRoot; Environment = $server.Environment }
    @{ Sim = $sim; Script = $Script; Arguments = @($Arguments); Output = "$request.out" } | Export-Clixml -LiteralPath "$request.in" -WhatIf:$false
    $pwsh = @(Get-SimPwsh)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Invoke-SimRemote.ps1'), '-Request', "$request.in")
    Add-SimFleetCall "start $($Session.ComputerName) $Label"
    $process = Start-Process -FilePath $pwsh[0] -ArgumentList $arguments -PassThru -NoNewWindow -WhatIf:$false `
        -RedirectStandardOutput "$request.stdout" -RedirectStandardError "$request.stderr"
    return [pscustomobject]@{ Session = $Session; Process = $process; Request = $request; Label = $Label }
}

function global:Invoke-Command {
    [CmdletBinding()]
    param([object[]] $Session, [scriptblock] $ScriptBlock, [string] $FilePath, [object[]] $ArgumentList = @(), [int] $ThrottleLimit = 32)
    if ($null -eq $Session) { throw 'The simulated fleet runs Invoke-Command -Session only.' }
    $script = if ($FilePath) { Get-Content -Raw -LiteralPath $FilePath } else { $ScriptBlock.ToString() }
    $label = if ($FilePath) { Split-Path -Leaf $FilePath } else { 'scriptblock' }
    $pending = [System.Collections.Generic.Queue[object]]::new()
    foreach ($item in $Session) { $pending.Enqueue($item) }
    $running = [System.Collections.Generic.List[object]]::new()
    $finished = @{}
    while ($pending.Count -gt 0 -or $running.Count -gt 0) {
        while ($running.Count -lt $ThrottleLimit -and $pending.Count -gt 0) {
            $running.Add((Start-SimRemote -Session $pending.Dequeue() -Script $script -Arguments $ArgumentList -Label $label))
        }
        Start-Sleep -Milliseconds 50
        foreach ($call in @($running | Where-Object { $_.Process.HasExited })) {
            Add-SimFleetCall "end $($call.Session.ComputerName) $label"
            $finished[$call.Session.ComputerName] = $call
            [void] $running.Remove($call)
        }
    }
    foreach ($item in $Session) {
        $call = $finished[$item.ComputerName]
        $results = @()
        if (Test-Path -LiteralPath "$($call.Request).out") { $results = @(Import-Clixml -LiteralPath "$($call.Request).out") }
        Remove-Item -Path "$($call.Request).*" -ErrorAction SilentlyContinue -WhatIf:$false
        foreach ($result in $results) {
            if ($null -ne $result -and $result.PSObject.TypeNames -contains 'Deserialized.System.Management.Automation.ErrorRecord') {
                $record = [System.Management.Automation.ErrorRecord]::new([System.Management.Automation.RuntimeException]::new("$($result.Exception.Message)"), 'RemoteError', 'NotSpecified', $null)
                $origin = [System.Management.Automation.Remoting.OriginInfo]::new($item.ComputerName, [guid]::NewGuid())
                $PSCmdlet.WriteError([System.Management.Automation.Runspaces.RemotingErrorRecord]::new($record, $origin))
                continue
            }
            if ($null -ne $result) { $result | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $item.ComputerName -Force -PassThru }
        }
    }
}

function global:Copy-Item {
    <# -ToSession copies into that server's tree (its paths are local here); anything else is the real Copy-Item. #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Position = 0)] [string[]] $Path, [string[]] $LiteralPath, [Parameter(Position = 1)] [string] $Destination,
        [object] $ToSession, [switch] $Recurse, [switch] $Force, [switch] $PassThru, [switch] $Container)
    if ($null -eq $ToSession) { return Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters }
    Add-SimFleetCall "copy $($ToSession.ComputerName) $Destination"
    $null = $PSBoundParameters.Remove('ToSession')
    Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
}
